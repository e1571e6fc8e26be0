// mqtt-napi's additions to MQTT.js's API (checked against mqtt-napi only).
import { connect } from 'mqtt'

const client = connect('mqtt://localhost', { protocolVersion: 5, version: 5, properties: { authenticationMethod: 'TOKEN' } })

client.reauthenticate({ properties: { authenticationData: Buffer.from('fresh-token') } }, (err, packet) => {
  void [err, packet]
})
client.reauthenticate((err) => { void err })
void client.reauthenticateAsync({ properties: { authenticationData: Buffer.from('t') } }).then((packet) => {
  const code: number = packet.reasonCode
  void code
})
client.publish('t', 'x', '{"qos":1,"properties":{"contentType":"text/plain"}}')
client.end('{"reasonCode":4}' as any)
