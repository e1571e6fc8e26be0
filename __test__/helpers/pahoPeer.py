"""A second MQTT 5 implementation for interop tests: Eclipse Paho's Python client (Debian's
python3-paho-mqtt). Driven by __test__/helpers/paho.js with one JSON argument:

  {"host", "port", "mode": "subscribe" | "publish", "topic", "count", "subscriptionIdentifier",
   "messages": [{"payload", "qos", "properties": {...}}]}

subscribe: prints {"ready": true} once the SUBACK is in, then one JSON line per message received
(topic, payload, qos, retain and every property the packet had), and exits after `count` messages.
publish: publishes `messages` with their properties, waits for each to complete, and exits.
"""
import json
import sys

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

# Paho's attribute name for each MQTT 5 property the tests exchange, by MQTT.js's name.
PUBLISH_PROPERTIES = {
    "payloadFormatIndicator": "PayloadFormatIndicator",
    "messageExpiryInterval": "MessageExpiryInterval",
    "contentType": "ContentType",
    "responseTopic": "ResponseTopic",
    "correlationData": "CorrelationData",
    "userProperties": "UserProperty",
    "subscriptionIdentifier": "SubscriptionIdentifier",
}


def emit(obj):
    print(json.dumps(obj), flush=True)


def publish_properties(spec):
    props = Properties(PacketTypes.PUBLISH)
    for name, value in spec.items():
        if name == "correlationData":
            value = bytes.fromhex(value)
        elif name == "userProperties":
            value = [(k, v) for k, vs in value.items() for v in (vs if isinstance(vs, list) else [vs])]
        elif name == "payloadFormatIndicator":
            value = int(value)
        setattr(props, PUBLISH_PROPERTIES[name], value)
    return props


def received_properties(props):
    out = {}
    if props is None:
        return out
    for name, attr in PUBLISH_PROPERTIES.items():
        if not hasattr(props, attr):
            continue
        value = getattr(props, attr)
        if name == "correlationData":
            value = bytes(value).hex()
        elif name == "userProperties":
            value = [[k, v] for k, v in value]
        out[name] = value
    return out


def main():
    args = json.loads(sys.argv[1])
    client = mqtt.Client(client_id="", protocol=mqtt.MQTTv5)
    received = []

    def on_connect(client, userdata, flags, reason_code, properties):
        if args["mode"] == "subscribe":
            props = None
            if args.get("subscriptionIdentifier"):
                props = Properties(PacketTypes.SUBSCRIBE)
                props.SubscriptionIdentifier = args["subscriptionIdentifier"]
            client.subscribe(args["topic"], options=SubscribeOptions(qos=1), properties=props)
        else:
            # Waiting here would block the network loop this callback runs on: completions are
            # counted in on_publish instead.
            for message in args["messages"]:
                client.publish(
                    args["topic"],
                    message["payload"].encode(),
                    qos=message.get("qos", 1),
                    properties=publish_properties(message.get("properties", {})),
                )

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        emit({"ready": True, "granted": [code.value for code in reason_codes]})

    published = []

    def on_publish(client, userdata, mid):
        published.append(mid)
        if len(published) == len(args["messages"]):
            client.disconnect()

    def on_message(client, userdata, message):
        received.append(message)
        emit({
            "topic": message.topic,
            "payload": message.payload.decode(),
            "qos": message.qos,
            "retain": bool(message.retain),
            "properties": received_properties(message.properties),
        })
        if len(received) >= args["count"]:
            client.disconnect()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.on_publish = on_publish
    client.connect(args["host"], args["port"], keepalive=30)
    client.loop_forever(timeout=1.0)


if __name__ == "__main__":
    main()
