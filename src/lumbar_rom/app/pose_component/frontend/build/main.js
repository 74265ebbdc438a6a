// The guided test's camera panel (a Streamlit component, classic protocol, no framework).
//
// The camera's pictures never leave this page: MediaPipe's PoseLandmarker runs here (WebAssembly,
// VIDEO running mode, CPU delegate unless the server asks for "GPU"), on every new camera frame
// (requestVideoFrameCallback). The page draws the skeleton and the live angle, checks that the
// whole body is in the picture and speaks the tips and the server's cues. The server gets only
// timestamped landmarks: every half second, every frame it has not acknowledged yet (args.ack),
// so a lost message is re-sent and the server always ends a step with the whole series.
//
// Everything is loaded from this component's own folder on the app's server: the tasks-vision
// module, its WebAssembly files and the model bundle (no CDN).
import { FilesetResolver, PoseLandmarker } from "./vision_bundle.mjs";

const BASE = new URL(".", window.location.href).href;
const SEND_EVERY_MS = 500;
const MAX_FRAMES_PER_MESSAGE = 900;
const ON_KEY = "lumbarPoseCameraOn"; // sessionStorage: the camera was started in this tab
const HISTORY = 3000; // frames kept for window.lumbarPose.history (tests read it)
const KEY_POINTS = [0, 11, 12, 23, 24, 27, 28];
const CONNECTIONS = PoseLandmarker.POSE_CONNECTIONS.map((c) => [c.start, c.end]);

const $ = (id) => document.getElementById(id);
const video = $("video");
const overlay = $("overlay");
const ctx2d = overlay.getContext("2d");

let args = {};
let landmarker = null;
let loading = null;
let stream = null;
let lastVideoTime = -1;
let lastTs = -1;
const sid = Math.random().toString(36).slice(2, 10);
let step = null;
let frames = []; // this step's frames not yet acknowledged: [t_ms, w, h, image|null, world|null]
let base = 0; // the step index of frames[0]
let sent = 0;
let lastSpoken = "";
let localProblem = "";
let localSince = 0;
const times = [];
let inferMs = 0;
const state = { frames: 0, history: [], stats: {}, error: "", sid, blocked: [] };
window.lumbarPose = state;
// what the page's Content-Security-Policy refused (index.html: requests off this server)
document.addEventListener("securitypolicyviolation", (e) => {
  state.blocked = state.blocked.concat([`${e.violatedDirective} ${e.blockedURI}`]).slice(-50);
});

// ---- the Streamlit component protocol (v1) --------------------------------------------------
function post(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}
function setValue(value) {
  post("streamlit:setComponentValue", { value, dataType: "json" });
}
function setHeight() {
  post("streamlit:setFrameHeight", { height: document.body.scrollHeight + 4 });
}

window.addEventListener("message", (event) => {
  if (event.data?.type !== "streamlit:render") return;
  args = event.data.args || {};
  if (args.step !== step) {
    step = args.step;
    frames = [];
    base = 0;
  }
  const ack = args.ack || {};
  if (ack.sid === sid && ack.step === step && ack.count > base) {
    frames = frames.slice(Math.min(frames.length, ack.count - base));
    base = ack.count;
  }
  if (args.cue) speak(args.cue);
  showFraming();
  if (!landmarker && !loading) load();
  setHeight();
});
post("streamlit:componentReady", { apiVersion: 1 });
setHeight();

// ---- the model ----------------------------------------------------------------------------
async function load() {
  const status = $("status");
  try {
    if (!(await FilesetResolver.isSimdSupported())) {
      throw new Error("this browser has no WebAssembly SIMD");
    }
    const delegate = args.delegate === "GPU" ? "GPU" : "CPU";
    loading = PoseLandmarker.createFromOptions(
      { wasmLoaderPath: BASE + "vision_wasm_internal.js",
        wasmBinaryPath: BASE + "vision_wasm_internal.wasm" },
      { baseOptions: { modelAssetPath: BASE + (args.model || "pose_landmarker_full.task"),
                       delegate },
        runningMode: "VIDEO", numPoses: 1,
        minPoseDetectionConfidence: 0.5, minPosePresenceConfidence: 0.5,
        minTrackingConfidence: 0.5 });
    landmarker = await loading;
    state.stats.delegate = delegate;
    state.ready = true;
    status.textContent = "Ready: press Start camera.";
    // the camera was on before the page re-drew this panel: carry on without a click
    if (sessionStorage.getItem(ON_KEY)) start();
  } catch (err) {
    state.error = String(err && err.message || err);
    status.textContent = "The pose model cannot run in this browser: " + state.error;
    setValue({ sid, error: state.error });
  }
}

// ---- the camera ---------------------------------------------------------------------------
async function start() {
  if (stream) return;
  const status = $("status");
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: 640, height: 480 }, audio: false });
  } catch (err) {
    status.textContent = "The camera is blocked: allow it in the address bar (it works on " +
      "localhost or https only).";
    return;
  }
  video.srcObject = stream;
  await video.play();
  sessionStorage.setItem(ON_KEY, "1");
  $("start").disabled = true;
  $("stop").disabled = false;
  status.textContent = "Camera on: the pictures stay on this device.";
  schedule();
  speak(""); // the first speech needs the click's user activation: warm the voice up
}

function stop() {
  if (!stream) return;
  for (const track of stream.getTracks()) track.stop();
  stream = null;
  sessionStorage.removeItem(ON_KEY);
  video.srcObject = null;
  $("start").disabled = false;
  $("stop").disabled = true;
  $("status").textContent = "Camera off.";
  flush(true);
}
$("start").addEventListener("click", start);
$("stop").addEventListener("click", stop);

function schedule() {
  if (!stream) return;
  if (video.requestVideoFrameCallback) {
    video.requestVideoFrameCallback((now, meta) => {
      onFrame(meta.captureTime ?? meta.expectedDisplayTime ?? now);
      schedule();
    });
  } else {
    requestAnimationFrame((now) => {
      if (video.currentTime !== lastVideoTime) {
        lastVideoTime = video.currentTime;
        onFrame(now);
      }
      schedule();
    });
  }
}

// ---- one camera frame ---------------------------------------------------------------------
function r(x, k) { return Math.round(x * k) / k; }

function onFrame(tMs) {
  if (!landmarker || !stream || video.videoWidth === 0) return;
  const w = video.videoWidth, h = video.videoHeight;
  const ts = Math.max(lastTs + 1, Math.round(tMs));
  lastTs = ts;
  const t0 = performance.now();
  const res = landmarker.detectForVideo(video, ts);
  inferMs = performance.now() - t0;
  let image = null, world = null;
  if (res.landmarks && res.landmarks.length) {
    image = [];
    for (const p of res.landmarks[0]) {
      image.push(r(p.x * w, 100), r(p.y * h, 100), r(p.z * w, 100),
                 r(p.visibility ?? NaN, 1000));
    }
    world = [];
    for (const p of res.worldLandmarks[0]) world.push(r(p.x, 1e5), r(p.y, 1e5), r(p.z, 1e5));
  }
  const frame = [ts, w, h, image, world];
  frames.push(frame);
  state.frames += 1;
  state.history.push(frame);
  if (state.history.length > HISTORY) state.history.shift();
  times.push(ts);
  while (times.length > 1 && ts - times[0] > 2000) times.shift();
  state.stats = { ...state.stats, fps: times.length > 1 ?
    (times.length - 1) * 1000 / (times[times.length - 1] - times[0]) : 0, infer_ms: inferMs };
  checkFraming(image, w, h, ts);
  draw(image, w, h);
  $("rate").textContent = `Analysed in this page: ${state.stats.fps.toFixed(1)} frames/s, ` +
    `${inferMs.toFixed(0)} ms per frame (${state.frames} frames)`;
}

// ---- what the server gets -----------------------------------------------------------------
function flush(ended) {
  if (step === null) return;
  if (!frames.length && !ended) return;
  sent += 1;
  setValue({ sid, step, from: base, frames: frames.slice(0, MAX_FRAMES_PER_MESSAGE), n: sent,
             ended: !!ended, stats: state.stats });
}
setInterval(() => { if (stream) flush(false); }, SEND_EVERY_MS);

// ---- the framing check (the picture's edges; the view and the level are the server's) ------
function edgeProblem(image, w, h) {
  const th = args.thresholds || {};
  if (!image) return "nobody";
  const pts = KEY_POINTS.map((j) => [image[4 * j], image[4 * j + 1], image[4 * j + 3]]);
  const headCut = pts[0][1] < 0;
  const feetCut = Math.min(pts[5][1], pts[6][1]) > h;
  const ys = pts.map((p) => p[1]);
  const span = Math.max(...ys) - Math.min(...ys);
  if ((headCut && feetCut) || span > (th.too_close_height_fraction ?? 0.98) * h) {
    return "too close";
  }
  if (pts.some((p) => p[0] < 0)) return "left";
  if (pts.some((p) => p[0] > w)) return "right";
  if (headCut) return "head";
  if (feetCut) return "feet";
  const ok = pts.filter((p) => p[0] >= 0 && p[0] <= w && p[1] >= 0 && p[1] <= h &&
                                p[2] >= (th.visibility_threshold ?? 0.5)).length;
  if (ok / pts.length < (th.visible_fraction_min ?? 0.8)) return "hidden";
  return "";
}

function checkFraming(image, w, h, ts) {
  const problem = edgeProblem(image, w, h);
  if (problem !== localProblem) {
    localProblem = problem;
    localSince = ts;
  }
  const framing = ["framing", "countdown"].includes(args.phase);
  // a tip is spoken once the problem has lasted a second (not for every flicker)
  if (framing && problem && ts - localSince >= 1000 && args.tips && args.tips[problem]) {
    speak(args.tips[problem]);
  }
  showFraming();
}

function showFraming() {
  const el = $("framing");
  if (!["framing", "countdown"].includes(args.phase) || !stream) {
    el.innerHTML = "";
    return;
  }
  const body = ["too close", "head", "feet", "left", "right", "hidden"];
  const server = args.framing || {};
  const items = [
    ["person", localProblem !== "nobody"],
    ["whole body", localProblem !== "nobody" && !body.includes(localProblem)],
    ["view", !localProblem && !!server.view],
    ["level", !localProblem && !!server.level],
  ];
  el.innerHTML = items.map(([k, ok]) => `<span class="${ok ? "ok" : "bad"}">${k}</span>`)
    .join("");
}

// ---- the live angle (the same formulas as kinematics.angles; neutral from the server) ------
function liveAngle(image) {
  const live = args.live;
  if (!live || !image) return null;
  const P = (j) => [image[4 * j], image[4 * j + 1]];
  if (live.signal === "rotation") {
    const a = P(15), b = P(16);
    const ratio = Math.max(-1, Math.min(1, Math.hypot(a[0] - b[0], a[1] - b[1]) / live.neutral));
    return Math.acos(ratio) * 180 / Math.PI;
  }
  const mid = (i, j) => [(image[4 * i] + image[4 * j]) / 2, (image[4 * i + 1] + image[4 * j + 1]) / 2];
  const s = mid(11, 12), hp = mid(23, 24);
  const raw = Math.atan2(s[0] - hp[0], -(s[1] - hp[1])) * 180 / Math.PI;
  return live.direction * (raw * live.sign - live.neutral * live.sign);
}

// ---- drawing ------------------------------------------------------------------------------
function draw(image, w, h) {
  if (overlay.width !== w || overlay.height !== h) {
    overlay.width = w;
    overlay.height = h;
  }
  ctx2d.clearRect(0, 0, w, h);
  // the video is letterboxed into the stage the same way as the canvas (both object-fit)
  if (image) {
    const holding = args.phase === "moving";
    ctx2d.lineWidth = 3;
    ctx2d.strokeStyle = holding ? "#21c354" : "#00d0ff";
    for (const [a, b] of CONNECTIONS) {
      if (image[4 * a + 3] < 0.5 || image[4 * b + 3] < 0.5) continue;
      ctx2d.beginPath();
      ctx2d.moveTo(image[4 * a], image[4 * a + 1]);
      ctx2d.lineTo(image[4 * b], image[4 * b + 1]);
      ctx2d.stroke();
    }
    ctx2d.fillStyle = "#ffffff";
    for (let j = 0; j < 33; j++) {
      if (image[4 * j + 3] < 0.5) continue;
      ctx2d.beginPath();
      ctx2d.arc(image[4 * j], image[4 * j + 1], 3, 0, 2 * Math.PI);
      ctx2d.fill();
    }
  }
  let label = args.label || "";
  const angle = args.phase === "moving" ? liveAngle(image) : null;
  if (angle !== null && Number.isFinite(angle)) {
    label = `${args.name || ""}: ${angle.toFixed(0)} deg  (rep ${args.rep || 1}/3)`;
  }
  state.angle = angle;
  if (label) {
    ctx2d.font = "bold 22px sans-serif";
    const m = ctx2d.measureText(label);
    ctx2d.fillStyle = "rgba(0,0,0,0.6)";
    ctx2d.fillRect(8, 8, m.width + 16, 34);
    ctx2d.fillStyle = "#ffffff";
    ctx2d.fillText(label, 16, 33);
  }
}

// ---- speech -------------------------------------------------------------------------------
function speak(text) {
  const synth = window.speechSynthesis;
  if (!synth) return;
  if (text === "") {
    try { synth.speak(new SpeechSynthesisUtterance("")); } catch (e) { /* no voice */ }
    return;
  }
  if (text === lastSpoken) return;
  lastSpoken = text;
  state.spoken = (state.spoken || []).concat([text]).slice(-50);
  try {
    synth.cancel();
    synth.speak(new SpeechSynthesisUtterance(text));
  } catch (e) { /* no voice: the text is on screen */ }
}
