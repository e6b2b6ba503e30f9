// Drives zigbee-herdsman's zstack adapter (the host stack Zigbee2MQTT uses)
// against zhub's emulated Z-Stack dongle on a pty, to prove the emulator is
// good enough for a third-party host. The runs and their checks are in
// herdsman_common.js.
// Usage: node herdsman_znp.js --zhub BIN --dir DIR --expect reset|resumed
'use strict';
const { run } = require('./herdsman_common');

run({
  script: 'herdsman_znp.js',
  usage: '',
  adapter: 'zstack',
  pty: 'znp-pty',
  simArgs: (pty) => ['--znp-pty', pty],
});
