// Misuse that must NOT type-check, against either package: the types are
// real, not `any`.
import { connect } from 'mqtt'

const client = connect('mqtt://localhost')
// @ts-expect-error a message listener's payload is a Buffer, not a number
client.on('message', (topic: string, payload: number) => { void topic, payload })
// @ts-expect-error QoS is 0, 1 or 2
client.publish('t', 'x', { qos: 3 })
// @ts-expect-error subscribe options need a QoS
client.subscribe('t', { qos: 'high' })
// @ts-expect-error getLastMessageId returns a number
const id: string = client.getLastMessageId()
// @ts-expect-error connected is a boolean
client.connected = 'yes'
void id
