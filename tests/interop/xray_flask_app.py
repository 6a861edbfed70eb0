"""A small Flask app instrumented the way the X-Ray tutorials do it (XRayMiddleware,
xray_recorder.configure(service=..., dynamic_naming=...)), for xray_flask.test.mjs.
The SDK reads AWS_XRAY_DAEMON_ADDRESS; centralized sampling is on (the SDK's default).
Usage: python3 xray_flask_app.py PORT"""
import sys
from datetime import datetime, timezone

from flask import Flask, jsonify
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware

app = Flask(__name__)
xray_recorder.configure(service='Cruddur', dynamic_naming='*.example.com')
XRayMiddleware(app, xray_recorder)


@app.route('/api/activities/home')
def home():
    xray_recorder.current_segment().set_user('andrewbrown')
    with xray_recorder.in_subsegment('mock-data') as subsegment:
        results = [{'uuid': '68f126b0', 'message': 'Cloud is fun!'}] * 3
        subsegment.put_annotation('result_length', len(results))
        subsegment.put_metadata('now', datetime.now(timezone.utc).isoformat(), 'app')
    return jsonify(results)


@app.route('/boom')
def boom():
    raise RuntimeError('boom')


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(sys.argv[1]))
