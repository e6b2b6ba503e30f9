// Drives zigbee-herdsman's ember adapter (the host stack Zigbee2MQTT uses)
// against zhub's emulated EmberZNet NCP on a pty, to prove the emulator is
// good enough for a third-party host. The runs and their checks are in
// herdsman_common.js.
// Usage: node herdsman_ember.js --zhub BIN --dir DIR --expect reset|resumed [--ezsp-version 13|14]
'use strict';
const { arg, run } = require('./herdsman_common');

const ezspVersion = arg('ezsp-version', '13');
run({
  script: 'herdsman_ember.js',
  usage: ' [--ezsp-version 13|14]',
  adapter: 'ember',
  pty: 'ezsp-pty',
  simArgs: (pty) => ['--ezsp-pty', pty, '--ezsp-version', ezspVersion],
});
