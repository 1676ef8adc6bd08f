# The seed stack a user of the original project runs, as a same-run baseline for the ingest rows: one Flask
# route handing the JSON body to a kafka-python KafkaProducer (linger_ms=500, acks='all') and answering
# {"status": "ok"} at once, before the broker has acknowledged anything. Run as `python3 main.py` (Flask's
# threaded development server) or `gunicorn -w 2 main:app`. KAFKA_BROKERS, TOPIC and PORT come from the bench.
import json
import os

from flask import Flask, jsonify, request
from kafka import KafkaProducer

app = Flask(__name__)
TOPIC = os.environ.get("TOPIC", "emoji-events")
producer = KafkaProducer(
    bootstrap_servers=os.environ.get("KAFKA_BROKERS", "localhost:9092").split(","),
    value_serializer=lambda v: json.dumps(v).encode("utf-8"),
    linger_ms=500,
    acks="all",
)


@app.route("/emoji", methods=["POST"])
def emoji():
    data = request.get_json()
    producer.send(TOPIC, data)
    return jsonify({"status": "ok"}), 200


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
