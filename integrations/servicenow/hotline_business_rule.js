/*
 * Hotline: page the on-call people when an incident becomes urgent.
 *
 * Business rule (System Definition > Business Rules > New), global scope:
 *   Name:      Hotline - page on-call
 *   Table:     Incident [incident]
 *   Advanced:  checked (this script goes in the "Advanced" tab)
 *   When:      after         Order: 1000
 *   Insert:    checked       Update: checked       Delete / Query: unchecked
 *   Filter conditions / Condition: leave empty; the script below decides (see WHEN IT SENDS).
 *
 * WHEN IT SENDS (the condition, all of it is in shouldPage() below):
 *   the incident is active, AND it is urgent:
 *       Urgency = 1 - High            (urgency field value 1)
 *       OR Priority = 1 - Critical or 2 - High   (priority field value 1 or 2)
 *   AND
 *       on insert: always (a new urgent incident);
 *       on update: only when it BECOMES urgent (it was not urgent before this update).
 *   So ordinary edits of an incident that is already urgent, including the work notes,
 *   assignment and state that Hotline itself writes back, never send it again.
 *
 * WHAT IT SENDS: POST <hotline.webhook_url> with the JSON body
 *   {"sys_id", "number", "short_description", "description", "urgency", "priority",
 *    "assignment_group"}     (assignment_group is the group's display name)
 * and the header  X-Hotline-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>,
 * keyed with the secret in the system property hotline.webhook_secret (type password2).
 *
 * HOW (the seed integration's bugs, fixed):
 *   - the body is built with JSON.stringify, never by string concatenation, and every
 *     character outside printable ASCII (and "$") is written as a \uXXXX escape, so the
 *     body is pure ASCII: the bytes that are signed are the bytes that are sent, whatever
 *     character set the platform uses, and RESTMessageV2 finds no ${...} to substitute;
 *   - executeAsync(): the request is queued and sent after this transaction; the user's
 *     save never waits for Hotline;
 *   - no current.update() (this is an "after" rule; nothing is written to the incident);
 *   - failures are logged with gs.error, never with the secret.
 *
 * Scoped application instead of global: use CertificateEncryption instead of
 * GlideCertificateEncryption, gs.base64Encode instead of GlideStringUtil.base64Encode, and
 * name the properties after the scope (x_<scope>.webhook_url, x_<scope>.webhook_secret).
 */
(function executeRule(current, previous /*null when async*/) {
    var URL_PROPERTY = 'hotline.webhook_url';
    var SECRET_PROPERTY = 'hotline.webhook_secret';
    var TIMEOUT_MS = 10000;

    function shouldPage(record, before) {
        if (!isActive(record) || !isUrgent(record)) {
            return false;
        }
        if (record.operation() === 'insert' || !before) {
            return true;
        }
        return !isUrgent(before); // an update: only when it has just become urgent
    }

    function isUrgent(record) {
        var urgency = toInt(record.getValue('urgency'));
        var priority = toInt(record.getValue('priority'));
        return urgency === 1 || priority === 1 || priority === 2;
    }

    function isActive(record) {
        var active = String(record.getValue('active'));
        return active === '1' || active === 'true';
    }

    function toInt(value) {
        var number = parseInt(value, 10);
        return isNaN(number) ? null : number;
    }

    function text(value) {
        return value === null || value === undefined ? '' : String(value);
    }

    // JSON text with every character outside printable ASCII, and "$", as \uXXXX. Such
    // characters only ever occur inside JSON strings, where the escape means the same.
    function asciiJson(value) {
        return JSON.stringify(value).replace(/[^\x20-\x23\x25-\x7e]/g, function (c) {
            return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
        });
    }

    // generateMac returns the MAC in base64; Hotline wants lower-case hex.
    function base64ToHex(b64) {
        var alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        var clean = String(b64).replace(/[\s=]/g, '');
        var hex = '';
        var buffer = 0;
        var bits = 0;
        for (var i = 0; i < clean.length; i++) {
            var sextet = alphabet.indexOf(clean.charAt(i));
            if (sextet < 0) {
                throw new Error('the MAC is not base64');
            }
            buffer = ((buffer << 6) | sextet) & 0xffff;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                var octet = (buffer >> bits) & 0xff;
                hex += (octet < 16 ? '0' : '') + octet.toString(16);
            }
        }
        return hex;
    }

    function hmacSha256Hex(secret, body) {
        var key = GlideStringUtil.base64Encode(secret); // generateMac wants a base64 key
        var mac = new GlideCertificateEncryption().generateMac(key, 'HmacSHA256', body);
        var hex = base64ToHex(mac);
        if (hex.length !== 64) {
            throw new Error('unexpected MAC length ' + hex.length);
        }
        return hex;
    }

    function describe(error, secret) {
        var message = error && typeof error.getMessage === 'function'
            ? error.getMessage()
            : (error && error.message) || error;
        message = String(message);
        return secret ? message.split(secret).join('***') : message;
    }

    if (!shouldPage(current, previous)) {
        return;
    }
    var number = text(current.getValue('number'));
    var secret = '';
    try {
        var url = text(gs.getProperty(URL_PROPERTY, ''));
        secret = text(gs.getProperty(SECRET_PROPERTY, ''));
        if (!url || !secret) {
            gs.error('Hotline: ' + number + ' not sent: set the system properties '
                + URL_PROPERTY + ' and ' + SECRET_PROPERTY);
            return;
        }
        var body = asciiJson({
            sys_id: text(current.getUniqueValue()),
            number: number,
            short_description: text(current.getValue('short_description')) || number,
            description: text(current.getValue('description')),
            urgency: toInt(current.getValue('urgency')),
            priority: toInt(current.getValue('priority')),
            assignment_group: text(current.assignment_group.getDisplayValue()) || null
        });
        var request = new sn_ws.RESTMessageV2();
        request.setEndpoint(url);
        request.setHttpMethod('post');
        request.setHttpTimeout(TIMEOUT_MS);
        request.setRequestHeader('Accept', 'application/json');
        request.setRequestHeader('Content-Type', 'application/json');
        request.setRequestHeader('X-Hotline-Signature', 'sha256=' + hmacSha256Hex(secret, body));
        request.setRequestBody(body);
        // Queued and sent outside this transaction. Do not call waitForResponse() or read the
        // response here: that would make the user's save wait for Hotline again.
        request.executeAsync();
    } catch (error) {
        gs.error('Hotline: ' + number + ' not sent: ' + describe(error, secret));
    }
})(current, previous);
