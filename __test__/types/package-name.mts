// Resolved by package name, through package.json "exports" (types condition).
import mqtt, { connect, MqttClient, type IClientOptions } from 'mqtt-napi'

const options: IClientOptions = { clientId: 'by-name', maxIncomingPacketSize: 1024 }
const client: MqttClient = connect('mqtt://localhost', options)
client.end()
mqtt.connect({ host: 'localhost' }).end(true)
