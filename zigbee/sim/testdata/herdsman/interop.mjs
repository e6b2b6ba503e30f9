// Interop check: drive `zhub sim` with zigbee-herdsman's zstack adapter (the
// stack Zigbee2MQTT uses). Run by TestHerdsmanInterop when ZHUB_HERDSMAN_DIR
// points at a directory with zigbee-herdsman installed (npm i zigbee-herdsman).
//
//   run 1: fresh dongle -> herdsman forms ("reset"), permit join, a virtual
//          light joins and is interviewed, On/Off on -> state report arrives
//   run 2: same sim process, new herdsman -> "resumed", light answers a read
//   run 3: sim restarted from its state file, new herdsman -> "resumed"
import {spawn} from "node:child_process";
import {once} from "node:events";
import {createInterface} from "node:readline";
import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {createRequire} from "node:module";

const require = createRequire(join(process.env.ZHUB_HERDSMAN_DIR, "package.json"));
const {Controller, setLogger} = require("zigbee-herdsman");

const bin = process.env.ZHUB_BIN;
const port = Number(process.env.ZHUB_SIM_PORT || 24655);
const dir = mkdtempSync(join(tmpdir(), "zhub-herdsman-"));
const verbose = !!process.env.ZHUB_HERDSMAN_DEBUG;
const log = (lvl) => (msg, ns) => {
    if (verbose || lvl === "error") console.error(`[hm ${lvl}] ${ns}: ${typeof msg === "function" ? msg() : msg}`);
};
setLogger({debug: log("debug"), info: log("info"), warning: log("warning"), error: log("error")});

const sims = new Set();
process.on("exit", () => {
    for (const p of sims) p.kill("SIGKILL");
});
process.on("unhandledRejection", (e) => fail(`unhandled: ${e?.stack ?? e}`));
process.on("uncaughtException", (e) => fail(`uncaught: ${e?.stack ?? e}`));
function fail(msg) {
    console.log(`FAIL ${msg}`);
    process.exit(1);
}
const deadline = setTimeout(() => fail("timeout"), 240000);

async function startSim() {
    const p = spawn(bin, ["sim", "--listen", `tcp://127.0.0.1:${port}`, "--state", join(dir, "sim.json"),
        "--trace", join(dir, "trace.txt"), "--reset-delay", "300ms", "--device-delay", "20ms"], {stdio: ["pipe", "pipe", "inherit"]});
    sims.add(p);
    p.on("exit", () => sims.delete(p));
    const lines = createInterface({input: p.stdout});
    const waiters = [];
    lines.on("line", (l) => {
        console.log(`sim: ${l}`);
        for (const w of waiters.splice(0)) w(l);
    });
    p.nextLine = (prefix) => new Promise((resolve) => {
        const check = (l) => (l.startsWith(prefix) ? resolve(l) : waiters.push(check));
        waiters.push(check);
    });
    await p.nextLine("ready");
    return p;
}

function controller(n) {
    return new Controller({
        network: {panID: 0x1a62, extendedPanID: [0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd], channelList: [15],
            networkKey: [1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 13].map((x, i) => (x + 17 * i) & 0xff)},
        serialPort: {path: `tcp://127.0.0.1:${port}`, adapter: "zstack"},
        databasePath: join(dir, "database.db"),
        databaseBackupPath: join(dir, "database.db.backup"),
        backupPath: join(dir, "coordinator_backup.json"),
        adapter: {disableLED: false, concurrent: 16},
        acceptJoiningDeviceHandler: async () => true,
    });
}

async function run1(sim) {
    const c = controller(1);
    const result = await c.start();
    console.log(`run1 start: ${result}`);
    if (result !== "reset") fail(`run1: start returned ${result}, want reset`);
    const interviewed = new Promise((resolve) => c.on("deviceInterview", (e) => {
        console.log(`interview ${e.status} ${e.device.ieeeAddr}`);
        if (e.status === "successful") resolve(e.device);
        if (e.status === "failed") fail(`interview failed for ${e.device.ieeeAddr}`);
    }));
    await c.permitJoin(120);
    sim.stdin.write("join light\n");
    const joined = await sim.nextLine("joined");
    const dev = await interviewed;
    if (!joined.includes(dev.ieeeAddr)) fail(`interviewed ${dev.ieeeAddr}, sim said ${joined}`);
    console.log(`device ${dev.ieeeAddr} model=${dev.modelID} manufacturer=${dev.manufacturerName} power=${dev.powerSource}`);
    if (!dev.modelID) fail("no modelID after interview");
    const ep = dev.getEndpoint(1);
    await ep.bind("genOnOff", c.getDevicesByType("Coordinator")[0].getEndpoint(1));
    await ep.configureReporting("genOnOff", [{attribute: "onOff", minimumReportInterval: 0, maximumReportInterval: 3600, reportableChange: 0}]);
    const report = new Promise((resolve) => c.on("message", (m) => {
        if (m.type === "attributeReport" && m.cluster === "genOnOff") resolve(m.data);
    }));
    await ep.command("genOnOff", "on", {});
    const data = await report;
    console.log(`report onOff=${data.onOff}`);
    if (data.onOff !== 1) fail(`report onOff=${data.onOff}`);
    const read = await ep.read("genOnOff", ["onOff"]);
    if (read.onOff !== 1) fail(`read onOff=${read.onOff}`);
    // Every other kind joins and is interviewed too (the remote is sleepy,
    // the contact enrols as an IAS zone).
    for (const kind of ["dimmable", "color_light", "plug", "th_sensor", "contact", "remote"]) {
        const done = new Promise((resolve) => {
            const h = (e) => {
                if (e.status === "successful") {
                    c.off("deviceInterview", h);
                    resolve(e.device);
                }
            };
            c.on("deviceInterview", h);
        });
        sim.stdin.write(`join ${kind}\n`);
        await sim.nextLine("joined");
        const d = await done;
        const eps = d.endpoints.map((e) => `${e.ID}:[${e.inputClusters.join(",")}]`).join(" ");
        console.log(`interviewed ${kind}: ${d.manufacturerName} ${d.modelID} type=${d.type} eps=${eps}`);
        if (!d.modelID) fail(`${kind}: no modelID`);
    }
    await c.permitJoin(0);
    await c.stop();
    return dev.ieeeAddr;
}

async function runResume(tag, ieee) {
    const c = controller(2);
    const result = await c.start();
    console.log(`${tag} start: ${result}`);
    if (result !== "resumed") fail(`${tag}: start returned ${result}, want resumed`);
    const dev = c.getDeviceByIeeeAddr(ieee);
    if (!dev) fail(`${tag}: device ${ieee} missing from database`);
    const ep = dev.getEndpoint(1);
    await ep.command("genOnOff", "off", {});
    const read = await ep.read("genOnOff", ["onOff"]);
    console.log(`${tag} read onOff=${read.onOff}`);
    if (read.onOff !== 0) fail(`${tag}: read onOff=${read.onOff}`);
    await c.stop();
}

const sim = await startSim();
const ieee = await run1(sim);
await runResume("run2", ieee);
sim.kill("SIGTERM");
await once(sim, "exit");
const sim2 = await startSim();
await runResume("run3", ieee);
sim2.kill("SIGTERM");
await once(sim2, "exit");
clearTimeout(deadline);
console.log(`PASS (state in ${dir})`);
