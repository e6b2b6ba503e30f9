// The part the zigbee-herdsman interop scripts share (herdsman_znp.js,
// herdsman_ember.js): each names its adapter and how to start its flavour of
// the emulated dongle, and run() does the rest:
//   run 1 (--expect reset):   form a network, permit join, a virtual light
//                             joins and is interviewed, switch it on, receive
//                             its On/Off report;
//   run 2 (--expect resumed): the same persisted dongle resumes the network
//                             without re-forming, and the light is still known.
// Output lines start with "[interop]"; the exit code is 0 on success, 1 on a
// failed check and 2 on a usage error (test/interop/run.sh relies on it).
// HERDSMAN_DEBUG=1 prints zigbee-herdsman's own log.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const readline = require('node:readline');
const { Controller, setLogger } = require('zigbee-herdsman');

// The network the controller forms (run 1) and must find again (run 2).
const network = {
  panID: 0x1a63,
  extendedPanID: [0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xde],
  channelList: [15],
  networkKey: [1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14],
  networkKeyDistribute: false,
};

const log = (...a) => console.log('[interop]', ...a);

// arg returns the value after --name on the command line, or def.
function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
}

function quietLogger(verbose) {
  if (verbose) {
    return {
      debug: (m, ns) => console.log('debug', ns, m),
      info: (m, ns) => console.log('info', ns, m),
      warning: (m, ns) => console.log('warn', ns, m),
      error: (m, ns) => console.log('error', ns, m),
    };
  }
  return { debug: () => {}, info: () => {}, warning: () => {}, error: (m, ns) => console.log('herdsman error', ns, m) };
}

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error('timeout: ' + what)), ms); })])
    .finally(() => clearTimeout(t));
}

// startSim starts `zhub sim` with the flavour's arguments, the state file and
// a trace in dir; waitLine waits for a line of its stdout, send writes a
// command to its stdin.
function startSim(zhub, dir, expect, flavourArgs) {
  const sim = spawn(zhub, ['sim', ...flavourArgs, '--state', path.join(dir, 'sim-state.json'),
    '--trace', path.join(dir, 'trace-' + expect + '.txt')], { stdio: ['pipe', 'pipe', 'inherit'] });
  // Never leave the emulated dongle running, whatever happens to this script.
  process.on('exit', () => sim.kill('SIGKILL'));
  const lines = readline.createInterface({ input: sim.stdout });
  const waiters = [];
  lines.on('line', (l) => {
    log('sim:', l);
    for (const w of waiters.splice(0)) if (!w(l)) waiters.push(w);
  });
  const waitLine = (pred, ms, what) => withTimeout(new Promise((res) => waiters.push((l) => (pred(l) ? (res(l), true) : false))), ms, what);
  return { sim, waitLine, send: (s) => sim.stdin.write(s + '\n') };
}

// pairAndSwitch is run 1 after the network is formed: a light joins and is
// interviewed, is bound and configured to report On/Off, is switched on, and
// its report of the new state must arrive.
async function pairAndSwitch(controller, { waitLine, send }) {
  const interviewed = new Promise((res, rej) => controller.on('deviceInterview', (e) => {
    log('deviceInterview', e.status, e.device.ieeeAddr);
    if (e.status === 'successful') res(e.device);
    if (e.status === 'failed') rej(new Error('interview failed for ' + e.device.ieeeAddr));
  }));
  await controller.permitJoin(120);
  send('join light');
  await waitLine((l) => l.startsWith('joined '), 20000, 'sim: joined');
  const device = await withTimeout(interviewed, 60000, 'interview');
  log('interviewed', device.ieeeAddr, device.manufacturerName, device.modelID, 'endpoints', device.endpoints.map((e) => e.ID));
  if (!device.modelID) throw new Error('interview gave no modelID');
  const ep = device.endpoints.find((e) => e.supportsInputCluster('genOnOff'));
  if (!ep) throw new Error('no endpoint with genOnOff');
  const coordEp = controller.getDevicesByType('Coordinator')[0].getEndpoint(1);
  await ep.bind('genOnOff', coordEp);
  await ep.configureReporting('genOnOff', [{ attribute: 'onOff', minimumReportInterval: 0, maximumReportInterval: 3600, reportableChange: 0 }]);
  const report = new Promise((res) => controller.on('message', (m) => {
    if (m.cluster === 'genOnOff' && (m.type === 'attributeReport' || m.type === 'readResponse') && m.data.onOff === 1) res(m);
  }));
  await ep.command('genOnOff', 'on', {});
  const m = await withTimeout(report, 15000, 'On/Off report after on');
  log('state report', m.type, JSON.stringify(m.data));
  await controller.permitJoin(0);
}

// checkResumed is run 2: the light paired in run 1 is still in the database
// and still on.
async function checkResumed(controller) {
  const devices = controller.getDevices().filter((d) => d.type !== 'Coordinator');
  if (devices.length === 0) throw new Error('resumed, but the paired light is gone');
  const ep = devices[0].endpoints.find((e) => e.supportsInputCluster('genOnOff'));
  if (!ep) throw new Error('resumed, but the light has no endpoint with genOnOff');
  const r = await withTimeout(ep.read('genOnOff', ['onOff']), 15000, 'read onOff after resume');
  log('after resume onOff =', r.onOff);
  if (r.onOff !== 1) throw new Error('light state lost across the restart');
}

// run parses --zhub, --dir and --expect, runs the check for one flavour and
// exits the process. flavour:
//   script   the file name, for the usage line
//   usage    extra options for the usage line ('' if none)
//   adapter  zigbee-herdsman's serialPort.adapter ('zstack', 'ember')
//   pty      the pty's file name in --dir
//   simArgs  (ptyPath) => the `zhub sim` arguments that serve this flavour on it
function run(flavour) {
  const zhub = arg('zhub');
  const dir = arg('dir');
  const expect = arg('expect', 'reset');
  if (!zhub || !dir) {
    console.error(`usage: node ${flavour.script} --zhub BIN --dir DIR --expect reset|resumed${flavour.usage}`);
    process.exit(2);
  }
  fs.mkdirSync(dir, { recursive: true });
  const pty = path.join(dir, flavour.pty);
  setLogger(quietLogger(!!process.env.HERDSMAN_DEBUG));

  async function main() {
    const sim = startSim(zhub, dir, expect, flavour.simArgs(pty));
    await sim.waitLine((l) => l === 'ready', 10000, 'sim ready');
    const controller = new Controller({
      network,
      serialPort: { path: pty, adapter: flavour.adapter, baudRate: 115200, rtscts: false },
      databasePath: path.join(dir, 'herdsman.db'),
      databaseBackupPath: path.join(dir, 'herdsman.db.backup'),
      backupPath: path.join(dir, 'coordinator_backup.json'),
      adapter: { disableLED: true, concurrent: 16 },
      acceptJoiningDeviceHandler: async () => true,
    });
    const result = await withTimeout(controller.start(), 60000, 'controller.start');
    log('start result:', result);
    if (result !== expect) throw new Error(`start result ${result}, want ${expect}`);
    if (expect === 'reset') await pairAndSwitch(controller, sim);
    else await checkResumed(controller);
    await controller.stop();
    sim.sim.stdin.end();
    sim.sim.kill('SIGTERM');
    log('OK', expect);
  }

  main().then(() => process.exit(0), (e) => { console.error('[interop] FAILED:', e && e.stack || e); process.exit(1); });
}

module.exports = { arg, run };
