// The README's ES module import styles, type-checked as an ES module.
import mqtt, { connect, type IClientOptions } from 'mqtt'

const options: IClientOptions = { clientId: 'esm' }
const viaDefault = mqtt.connect('mqtt://localhost', options)
const viaNamed = connect('mqtt://localhost')
viaDefault.end()
viaNamed.end()
