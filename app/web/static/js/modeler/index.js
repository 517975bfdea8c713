/* The analysts' modeler page: bpmn-js Modeler with the properties panel (our groups, app/web/static/js/modeler/
   provider.js), in-browser lint (bpmnlint with our rules, lint/rules.js), drafts saved on the server with
   If-Match, the server's validate (the authority), a test-run on a throw-away instance, and deploy.
   Bundled by esbuild into static/vendor/modeler/modeler.js (Makefile); no inline script: the page's data
   comes from data- attributes and a JSON script tag. */
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import spiffworkflow from "./spiffworkflow.json";
import HotichPropertiesModule from "./provider.js";
import { lintConfig } from "./lint/rules.js";
import { translations } from "./translations.js";

const root = document.getElementById("modeler");
const options = JSON.parse(document.getElementById("modeler-options").textContent);
const urls = {
  draft: root.dataset.draftUrl,
  validate: root.dataset.validateUrl,
  deploy: root.dataset.deployUrl,
  testRun: root.dataset.testRunUrl,
  version: root.dataset.versionUrl
};
const csrf = root.dataset.csrf;
const statusBox = document.getElementById("modeler-status");
const findingsList = document.getElementById("findings");
const findingsCount = document.getElementById("findings-count");

function translate(template, replacements) {
  const text = translations[template] || template;
  return text.replace(/{([^}]+)}/g, function (_, key) { return (replacements || {})[key] || "{" + key + "}"; });
}

const modeler = new BpmnModeler({
  container: "#canvas",
  propertiesPanel: { parent: "#properties" },
  additionalModules: [
    BpmnPropertiesPanelModule,
    BpmnPropertiesProviderModule,
    HotichPropertiesModule,
    lintModule,
    { translate: ["value", translate] }
  ],
  moddleExtensions: { spiffworkflow: spiffworkflow },
  linting: { active: true, bpmnlint: lintConfig(options) },
  hotich: options
});
const canvas = modeler.get("canvas");
const registry = modeler.get("elementRegistry");
const selection = modeler.get("selection");

let etag = "0";
let dirty = false;
let browserFindings = [];
let serverFindings = [];

function say(text, kind) {
  statusBox.textContent = text;
  statusBox.className = "modeler-status" + (kind ? " modeler-status--" + kind : "");
}

function errorText(body, fallback) {
  return (body && body.error && body.error.message) || fallback;
}

function request(method, url, body, headers) {
  const h = Object.assign({ "X-CSRFToken": csrf }, headers || {});
  return fetch(url, { method: method, credentials: "same-origin", headers: h, body: body }).then(function (r) {
    return r.text().then(function (text) {
      let json = null;
      try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
      return { status: r.status, ok: r.ok, body: json, headers: r.headers };
    });
  });
}

/* -- findings ---------------------------------------------------------------------------------------- */

function focusElement(id) {
  const element = registry.get(id);
  if (!element) { return false; }
  selection.select(element);
  canvas.scrollToElement(element);
  return true;
}

function renderFindings() {
  const all = serverFindings.map(function (f) { return Object.assign({ source: "server" }, f); })
    .concat(browserFindings.filter(function (b) {
      return !serverFindings.some(function (s) { return s.code === b.code && s.element_id === b.element_id; });
    }).map(function (f) { return Object.assign({ source: "browser" }, f); }));
  findingsList.textContent = "";
  const errors = all.filter(function (f) { return f.severity !== "warning"; }).length;
  findingsCount.textContent = all.length ? errors + " lỗi, " + (all.length - errors) + " cảnh báo" : "Không có lỗi";
  all.forEach(function (f) {
    const li = document.createElement("li");
    li.className = "finding finding--" + (f.severity === "warning" ? "warning" : "error");
    li.dataset.elementId = f.element_id || "";
    li.dataset.code = f.code || "";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "finding__link";
    const id = document.createElement("code");
    id.textContent = f.element_id || "(sơ đồ)";
    const message = document.createElement("span");
    message.className = "finding__message";
    message.textContent = f.message;
    const source = document.createElement("span");
    source.className = "finding__source";
    source.textContent = f.source === "server" ? "máy chủ" : "trình duyệt";
    button.append(id, " ", message, " ", source);
    button.addEventListener("click", function () {
      if (!focusElement(f.element_id)) { say("Phần tử " + (f.element_id || "") + " không có trên sơ đồ.", "warning"); }
    });
    li.appendChild(button);
    findingsList.appendChild(li);
  });
}

modeler.on("linting.completed", function (event) {
  const out = [];
  Object.keys(event.issues || {}).forEach(function (id) {
    event.issues[id].forEach(function (issue) {
      out.push({
        element_id: issue.element_id === undefined ? id : issue.element_id,
        code: issue.code || issue.rule,
        message: issue.message,
        severity: issue.category === "warn" ? "warning" : "error"
      });
    });
  });
  browserFindings = out;
  renderFindings();
});

modeler.on("commandStack.changed", function () {
  dirty = true;
  serverFindings = []; // the server's verdict was about the previous diagram
  say("Có thay đổi chưa lưu.", "warning");
});

function currentXml() {
  return modeler.saveXML({ format: true }).then(function (result) { return result.xml; });
}

function showServerReport(report) {
  serverFindings = (report.errors || []).map(function (f) { return Object.assign({ severity: "error" }, f); })
    .concat((report.warnings || []).map(function (f) { return Object.assign({ severity: "warning" }, f); }));
  renderFindings();
}

function validateOnServer() {
  return currentXml().then(function (xml) {
    return request("POST", urls.validate, xml, { "Content-Type": "application/xml" });
  }).then(function (r) {
    if (!r.ok) { say(errorText(r.body, "Máy chủ không kiểm tra được sơ đồ."), "error"); return null; }
    showServerReport(r.body);
    say(r.body.ok ? "Máy chủ: sơ đồ hợp lệ." : "Máy chủ: sơ đồ còn " + r.body.errors.length + " lỗi.", r.body.ok ? "ok" : "error");
    return r.body;
  });
}

/* -- drafts -------------------------------------------------------------------------------------------- */

function load() {
  return request("GET", urls.draft).then(function (r) {
    if (!r.ok) { throw new Error(errorText(r.body, "Không tải được bản nháp.")); }
    etag = String(r.body.version);
    root.dataset.draftVersion = etag;
    return modeler.importXML(r.body.xml).then(function (result) {
      canvas.zoom("fit-viewport", "auto");
      dirty = false;
      say(r.body.saved ? "Bản nháp phiên bản " + r.body.version + " của " + r.body.author + "." :
        "Chưa có bản nháp: đang sửa từ phiên bản " + r.body.base_version + " đang dùng.");
      if (result.warnings && result.warnings.length) {
        // an element the modeler does not know would be lost on save: say so before anything is saved
        say("Cảnh báo: " + result.warnings.length + " phần tử của sơ đồ không đọc được và sẽ mất khi lưu (" +
          result.warnings[0].message + ").", "error");
      }
      root.dataset.ready = "1";
      buildTestRunForm();
    });
  }).catch(function (e) { say(e.message || "Không tải được sơ đồ.", "error"); });
}

function save() {
  return currentXml().then(function (xml) {
    return request("PUT", urls.draft, xml, { "Content-Type": "application/xml", "If-Match": '"' + etag + '"' });
  }).then(function (r) {
    if (r.status === 409) {
      say(errorText(r.body, "Bản nháp đã bị người khác thay đổi."), "error");
      return false;
    }
    if (!r.ok) { say(errorText(r.body, "Không lưu được bản nháp."), "error"); return false; }
    etag = String(r.body.version);
    root.dataset.draftVersion = etag;
    dirty = false;
    say("Đã lưu bản nháp phiên bản " + r.body.version + ".", "ok");
    return validateOnServer().then(function () { return true; });
  });
}

function deploy() {
  const first = dirty || etag === "0" ? save() : Promise.resolve(true);
  return first.then(function (saved) {
    if (!saved) { return; }
    return request("POST", urls.deploy, null, { "If-Match": '"' + etag + '"' }).then(function (r) {
      if (r.status === 201) {
        const link = document.getElementById("deployed-link");
        link.href = urls.version.replace(/\/0$/, "/" + r.body.version);
        link.textContent = "Xem phiên bản " + r.body.version;
        link.hidden = false;
        say("Đã triển khai phiên bản " + r.body.version + ". Hồ sơ mới sẽ theo phiên bản này; hồ sơ đang xử lý giữ phiên bản cũ.", "ok");
        return;
      }
      if (r.body && r.body.error && r.body.error.errors) { showServerReport({ errors: r.body.error.errors }); }
      say(errorText(r.body, "Không triển khai được."), "error");
    });
  });
}

/* -- test-run ------------------------------------------------------------------------------------------ */

function userTasks() {
  return registry.filter(function (el) { return el.type === "bpmn:UserTask"; }).map(function (el) {
    const bo = el.businessObject;
    const props = ((bo.extensionElements && bo.extensionElements.values) || []).filter(function (v) {
      return v.$type === "spiffworkflow:Properties";
    })[0];
    const form = ((props && props.properties) || []).filter(function (p) { return p.name === "formJsonSchemaFilename"; })[0];
    return { id: el.id, name: bo.name || el.id, form: form ? form.value.replace(/\.json$/, "") : "" };
  });
}

function buildTestRunForm() {
  const sampleBox = document.getElementById("test-run-sample");
  if (sampleBox && !sampleBox.value && options.sample) { sampleBox.value = JSON.stringify(options.sample, null, 2); }
  const box = document.getElementById("test-run-decisions");
  box.textContent = "";
  userTasks().forEach(function (task) {
    const row = document.createElement("div");
    row.className = "test-run__task";
    row.dataset.taskId = task.id;
    const label = document.createElement("label");
    label.textContent = task.name + " ";
    const code = document.createElement("code");
    code.textContent = task.id;
    label.appendChild(code);
    const choices = (options.decisions || {})[task.form + ".json"] || [];
    const sample = (options.sample_forms || {})[task.form] || {};
    const textarea = document.createElement("textarea");
    textarea.className = "test-run__form";
    textarea.rows = 2;
    textarea.id = "tr-form-" + task.id;
    textarea.value = JSON.stringify(sample);
    textarea.setAttribute("aria-label", "Dữ liệu biểu mẫu của " + task.name);
    row.appendChild(label);
    if (choices.length) {
      const select = document.createElement("select");
      select.id = "tr-decision-" + task.id;
      select.setAttribute("aria-label", "Quyết định cho " + task.name);
      choices.forEach(function (c) {
        const option = document.createElement("option");
        option.value = c;
        option.textContent = c;
        select.appendChild(option);
      });
      if (sample.decision) { select.value = sample.decision; }
      select.addEventListener("change", function () {
        let form = {};
        try { form = JSON.parse(textarea.value || "{}"); } catch (e) { form = {}; }
        form.decision = select.value;
        textarea.value = JSON.stringify(form);
      });
      row.appendChild(select);
    } else {
      row.appendChild(document.createElement("span"));
    }
    row.appendChild(textarea);
    box.appendChild(row);
  });
}

function markPath(step) {
  registry.getAll().forEach(function (el) {
    canvas.removeMarker(el.id, "hotich-done");
    canvas.removeMarker(el.id, "hotich-active");
  });
  const done = step.completed || [];
  const active = step.active || [];
  done.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "hotich-done"); } });
  registry.filter(function (el) {
    return el.type === "bpmn:SequenceFlow" && el.source && el.target && done.indexOf(el.source.id) >= 0 &&
      (done.indexOf(el.target.id) >= 0 || active.indexOf(el.target.id) >= 0);
  }).forEach(function (flow) { canvas.addMarker(flow.id, "hotich-done"); });
  active.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "hotich-active"); } });
}

function showStep(report, index) {
  const step = report.steps[index];
  markPath(step);
  document.querySelectorAll(".test-run__step").forEach(function (li, i) { li.classList.toggle("is-current", i === index); });
  document.getElementById("test-run-data").textContent = JSON.stringify(step.data, null, 2);
  document.getElementById("test-run-data-title").textContent = "Dữ liệu sau bước " + (index + 1) + ": " + step.title;
}

function testRun() {
  const decisions = {};
  let bad = null;
  document.querySelectorAll(".test-run__task").forEach(function (row) {
    const text = row.querySelector("textarea").value.trim();
    if (!text) { return; }
    try { decisions[row.dataset.taskId] = JSON.parse(text); } catch (e) { bad = row.dataset.taskId; }
  });
  if (bad) { say("Dữ liệu biểu mẫu của nhiệm vụ " + bad + " không phải JSON hợp lệ.", "error"); return Promise.resolve(); }
  say("Đang chạy thử trên bản sao tạm (không ảnh hưởng hồ sơ thật)…");
  return currentXml().then(function (xml) {
    const request_ = { xml: xml, channel: document.getElementById("test-run-channel").value, decisions: decisions };
    const sampleBox = document.getElementById("test-run-sample");
    if (sampleBox && sampleBox.value.trim()) {
      try { request_.data = JSON.parse(sampleBox.value); } catch (e) {
        say("Dữ liệu hồ sơ mẫu không phải JSON hợp lệ.", "error");
        return null;
      }
    }
    const from = document.getElementById("test-run-from").value.trim();
    if (from) {
      request_.from_dossier = from; // an anonymised copy of a completed dossier, on its own channel
      delete request_.channel;
      delete request_.data;
    }
    const body = JSON.stringify(request_);
    return request("POST", urls.testRun, body, { "Content-Type": "application/json" });
  }).then(function (r) {
    if (r === null) { return; }
    if (!r.ok) {
      if (r.body && r.body.error && r.body.error.errors) { showServerReport({ errors: r.body.error.errors }); }
      say(errorText(r.body, "Không chạy thử được."), "error");
      root.dataset.testRunStatus = "error";
      return;
    }
    const report = r.body;
    const list = document.getElementById("test-run-steps");
    list.textContent = "";
    report.steps.forEach(function (step, i) {
      const li = document.createElement("li");
      li.className = "test-run__step";
      li.dataset.elementId = step.element_id || "";
      const button = document.createElement("button");
      button.type = "button";
      const status = (options.statuses || {})[step.status] || step.status;
      const form = step.form && step.form.decision ? " — " + step.form.decision : "";
      button.textContent = step.title + (step.element_id ? " (" + step.element_id + ")" : "") + form + " → " + status;
      button.addEventListener("click", function () { showStep(report, i); });
      li.appendChild(button);
      list.appendChild(li);
    });
    document.getElementById("test-run-result").hidden = false;
    showStep(report, report.steps.length - 1);
    const end = (options.statuses || {})[report.status] || report.status;
    root.dataset.testRunStatus = report.status;
    say(report.stopped ? report.stopped : "Chạy thử xong: " + end + " sau " + report.steps.length + " bước.", report.stopped ? "error" : "ok");
  });
}

function on(id, handler) {
  const button = document.getElementById(id);
  if (button) { button.addEventListener("click", handler); } // an auditor's page has no write buttons
}

on("btn-save", save);
on("btn-validate", validateOnServer);
on("btn-deploy", deploy);
on("btn-test-run", testRun);
on("btn-test-run-refresh", buildTestRunForm);
window.addEventListener("beforeunload", function (event) {
  if (dirty) { event.preventDefault(); event.returnValue = ""; }
});
load();
