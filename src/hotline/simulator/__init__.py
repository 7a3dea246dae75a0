"""``hotline.simulator``: a Twilio-compatible fake carrier, runnable with no account.

It speaks the ``2010-04-01`` REST subset Hotline uses (Calls, Messages, Recordings,
Transcriptions, IncomingPhoneNumbers) with Twilio's JSON and errors, executes TwiML the
way ``shared/spec/twilio-protocol.md`` describes, sends signed webhooks and status
callbacks, and dials virtual phones that follow ``PhoneScript``s or are driven
interactively. Point twilio-python at it with ``client.api.base_url``.

    sim = Simulator(sid, token, numbers=["+15550000001"], time_scale=0.01)
    await sim.start()
    app.mount("/simulator", sim.asgi)       # or serve sim.asgi with uvicorn
    ...
    await sim.close()
"""

from hotline.simulator.scripts import PhoneScript
from hotline.simulator.simulator import Simulator

__all__ = ["PhoneScript", "Simulator"]
