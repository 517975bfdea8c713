/* The domain lint of app/engine/lint.py (and the lane, form and operation checks of app/engine/definition.py
   and app/services/processes.py) as bpmnlint rules, so the analyst sees the findings while drawing. The
   server stays the authority: the same codes, element ids and Vietnamese messages come back from its
   validate endpoint, which also compiles every script and expression (server-only checks: XSD, unsafe
   script, unknown variable, form validity). tests/web/test_modeler_lint_parity.py holds both to the same
   findings on the shipped diagrams and on broken ones. */

const KNOWN_ROLES = ["reception", "officer", "chairman", "system"];
const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

function is(el, type) {
  return !!el && typeof el.$instanceOf === "function" && el.$instanceOf(type);
}

function report(reporter, id, code, message, elementId) {
  reporter.report(id, message, { code: code, element_id: elementId === undefined ? id : elementId });
}

/* Every flow node and sequence flow of a process, subprocesses included (as lint.py's process.iter). */
function collect(container, out) {
  (container.flowElements || []).forEach(function (el) {
    if (is(el, "bpmn:SequenceFlow")) {
      out.flows.push(el);
    } else if (is(el, "bpmn:FlowNode")) {
      out.nodes.push(el);
      if (is(el, "bpmn:SubProcess")) { collect(el, out); }
    }
  });
  return out;
}

function lanes(process) {
  const out = [];
  function walk(laneSet) {
    ((laneSet && laneSet.lanes) || []).forEach(function (lane) {
      out.push(lane);
      walk(lane.childLaneSet);
    });
  }
  (process.laneSets || []).forEach(walk);
  return out;
}

function extension(el, type) {
  const values = (el.extensionElements && el.extensionElements.values) || [];
  return values.filter(function (v) { return v.$type === type; })[0];
}

export function spiffProperty(el, name) {
  const props = extension(el, "spiffworkflow:Properties");
  const found = ((props && props.properties) || []).filter(function (p) { return p.name === name; })[0];
  return found ? found.value : undefined;
}

export function operationOf(el) {
  const op = extension(el, "spiffworkflow:ServiceTaskOperator");
  return op ? op.id : undefined;
}

function label(el) {
  return el.name || el.id;
}

function forProcess(check) {
  return function (config) {
    return {
      check: function (node, reporter) {
        if (is(node, "bpmn:Process")) { check(node, reporter, config || {}); }
      }
    };
  };
}

function graph(process) {
  const g = collect(process, { nodes: [], flows: [] });
  g.byId = {};
  g.nodes.forEach(function (n) { g.byId[n.id] = n; });
  g.outgoing = {};
  g.flows.forEach(function (f) {
    const source = f.sourceRef && f.sourceRef.id;
    (g.outgoing[source] = g.outgoing[source] || []).push(f);
  });
  g.boundary = {};
  g.nodes.forEach(function (n) {
    if (is(n, "bpmn:BoundaryEvent") && n.attachedToRef) {
      (g.boundary[n.attachedToRef.id] = g.boundary[n.attachedToRef.id] || []).push(n.id);
    }
  });
  g.laneOf = {};
  lanes(process).forEach(function (lane) {
    (lane.flowNodeRef || []).forEach(function (ref) { g.laneOf[ref.id] = lane.id; });
  });
  g.successors = function (id) {
    return (g.outgoing[id] || []).map(function (f) { return f.targetRef && f.targetRef.id; }).concat(g.boundary[id] || []);
  };
  return g;
}

function hasCondition(flow) {
  const cond = flow.conditionExpression;
  return !!(cond && (cond.body || "").trim());
}

export const conditionMissing = forProcess(function (process, reporter) {
  const g = graph(process);
  g.nodes.forEach(function (gw) {
    const flows = g.outgoing[gw.id] || [];
    if (!is(gw, "bpmn:ExclusiveGateway") || flows.length < 2) { return; }
    const def = gw.default && gw.default.id;
    flows.forEach(function (flow) {
      if (flow.id !== def && !hasCondition(flow)) {
        report(reporter, flow.id, "condition_missing", "Luồng «" + label(flow) + "» ra khỏi cổng «" + label(gw) +
          "» không phải luồng mặc định nên phải có điều kiện.");
      }
    });
  });
});

export const implicitSplit = forProcess(function (process, reporter) {
  const g = graph(process);
  g.nodes.forEach(function (node) {
    const flows = g.outgoing[node.id] || [];
    if (is(node, "bpmn:Gateway") || flows.length < 2) { return; }
    report(reporter, node.id, "implicit_split", "Phần tử «" + label(node) + "» có " + flows.length +
      " luồng ra mà không qua cổng: hãy dùng cổng rẽ nhánh (gateway).");
  });
});

/* A Python literal string ("P3D" or 'P3D') -> its text; a number -> NaN marker; anything else -> null. */
function literal(text) {
  const quoted = /^(['"])(.*)\1$/s.exec(text);
  if (quoted && quoted[2].indexOf(quoted[1]) < 0) { return { value: quoted[2] }; }
  if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(text) || /^(True|False|None)$/.test(text)) { return { value: null }; }
  return null;
}

export const timerInvalid = forProcess(function (process, reporter) {
  const g = graph(process);
  g.nodes.forEach(function (node) {
    (node.eventDefinitions || []).forEach(function (def) {
      if (!is(def, "bpmn:TimerEventDefinition")) { return; }
      const kind = def.timeDuration ? "timeDuration" : def.timeDate ? "timeDate" : def.timeCycle ? "timeCycle" : null;
      const text = kind ? (def[kind].body || "").trim() : "";
      if (!text) {
        report(reporter, node.id, "timer_invalid", "Sự kiện hẹn giờ chưa có thời hạn.");
        return;
      }
      const lit = literal(text);
      if (lit === null) { return; } // an expression reading a variable: the server checks it
      const value = lit.value;
      const ok = typeof value === "string" && (kind === "timeDuration" ? ISO_DURATION.test(value)
        : kind === "timeCycle" ? /^R\d*\//.test(value) : ISO_DATETIME.test(value));
      if (!ok) {
        report(reporter, node.id, "timer_invalid", "Thời hạn hẹn giờ " + text +
          ' không đúng định dạng ISO 8601 (ví dụ "P3D", có dấu ngoặc kép).');
      }
    });
  });
});

export const laneRole = forProcess(function (process, reporter) {
  lanes(process).forEach(function (lane) {
    const role = (lane.id || "").replace(/^lane_/, "");
    if (KNOWN_ROLES.indexOf(role) < 0) {
      report(reporter, lane.id, "unknown_lane_role", "Làn «" + lane.name + "» không ứng với vai trò nào (id phải là lane_<" +
        KNOWN_ROLES.join("|") + ">).");
    }
  });
});

export const userTaskLane = forProcess(function (process, reporter) {
  const g = graph(process);
  g.nodes.forEach(function (node) {
    if (!is(node, "bpmn:UserTask")) { return; }
    const role = (g.laneOf[node.id] || "").replace(/^lane_/, "");
    if (!g.laneOf[node.id] || role === "system") {
      report(reporter, node.id, "lane_missing", "Nhiệm vụ «" + (node.name || node.id) + "» phải nằm trong làn của một vai trò.");
    }
  });
});

export const formMissing = forProcess(function (process, reporter, config) {
  const forms = config.forms || [];
  collect(process, { nodes: [], flows: [] }).nodes.forEach(function (node) {
    if (!is(node, "bpmn:UserTask")) { return; }
    const form = spiffProperty(node, "formJsonSchemaFilename");
    if (!form) {
      report(reporter, node.id, "form_missing", "Nhiệm vụ «" + (node.name || node.id) + "» chưa khai báo biểu mẫu (formJsonSchemaFilename).");
    } else if (forms.indexOf(form.replace(/\.json$/, "") + ".json") < 0) {
      report(reporter, node.id, "form_missing", "Không tìm thấy biểu mẫu forms/" + config.key + "/" + form + ".");
    }
  });
});

export const statusMissing = forProcess(function (process, reporter) {
  collect(process, { nodes: [], flows: [] }).nodes.forEach(function (node) {
    if (is(node, "bpmn:UserTask") && !spiffProperty(node, "dossier_status")) {
      report(reporter, node.id, "status_missing", "Nhiệm vụ «" + (node.name || node.id) + "» chưa khai báo dossier_status.");
    }
  });
});

export const unknownOperation = forProcess(function (process, reporter, config) {
  const operations = config.operations || [];
  collect(process, { nodes: [], flows: [] }).nodes.forEach(function (node) {
    if (!is(node, "bpmn:ServiceTask")) { return; }
    const op = operationOf(node);
    if (op === undefined) {
      report(reporter, node.id, "operation_missing", "Nhiệm vụ dịch vụ «" + label(node) + "» chưa chọn thao tác.");
    } else if (operations.indexOf(op) < 0) {
      report(reporter, node.id, "unknown_operation", "Thao tác dịch vụ «" + op + "» không được hỗ trợ.");
    }
  });
});

function reachable(g, starts, stop) {
  const seen = {};
  const stack = starts.filter(function (s) { return !stop[s]; });
  while (stack.length) {
    const node = stack.pop();
    if (seen[node]) { continue; }
    seen[node] = true;
    g.successors(node).forEach(function (n) { if (!stop[n] && !seen[n]) { stack.push(n); } });
  }
  return seen;
}

/* The procedure's required human checkpoints lie on every path to the register entry (lint.py
   _lint_checkpoints): before it, or, for a handover, after it on every path that is not voided. */
export const checkpoints = forProcess(function (process, reporter, config) {
  const list = config.checkpoints || [];
  if (!list.length) { return; }
  const g = graph(process);
  const registerOp = config.register_operation || "register/enter";
  const voidOp = config.void_operation || "register/void";
  const ofKind = function (test) { return g.nodes.filter(test).map(function (n) { return n.id; }); };
  const starts = ofKind(function (n) { return is(n, "bpmn:StartEvent"); });
  const ends = ofKind(function (n) { return is(n, "bpmn:EndEvent"); });
  const registers = ofKind(function (n) { return operationOf(n) === registerOp; });
  const voids = ofKind(function (n) { return operationOf(n) === voidOp; });
  // non-interrupting boundary events start side branches (an apology slip while the task waits)
  const side = ofKind(function (n) { return is(n, "bpmn:BoundaryEvent") && n.cancelActivity === false; });
  const stopSide = {};
  side.forEach(function (e) { stopSide[e] = true; });
  const main = reachable(g, starts, stopSide);
  if (!registers.length) {
    report(reporter, process.id, "register_missing", "Sơ đồ không có bước ghi sổ (thao tác " + registerOp + ").", null);
    return;
  }
  list.forEach(function (cp) {
    const el = g.byId[cp.task_id];
    if (!el || !is(el, "bpmn:UserTask")) {
      report(reporter, el ? el.id : process.id, "checkpoint_missing", "Thiếu bước bắt buộc «" + cp.title +
        "» (nhiệm vụ người dùng " + cp.task_id + ").", cp.task_id);
      return;
    }
    if (g.laneOf[cp.task_id] !== "lane_" + cp.role) {
      report(reporter, el.id, "checkpoint_lane", "Bước bắt buộc «" + cp.title + "» phải nằm trong làn của vai trò " + cp.role + ".");
    }
    const stop = {};
    stop[cp.task_id] = true;
    const before = reachable(g, starts, stop);
    const skippedBefore = registers.some(function (r) { return before[r]; });
    const stopVoids = Object.assign({}, stop);
    voids.forEach(function (v) { stopVoids[v] = true; });
    const stopAfter = Object.assign({}, stopVoids, stopSide);
    const next = [];
    registers.forEach(function (r) { g.successors(r).forEach(function (s) { next.push(s); }); });
    const after = reachable(g, next, stopAfter);
    // a side branch bypasses nothing unless it rejoins the main flow (lint.py _lint_checkpoints)
    const hosted = side.filter(function (e) { const host = g.byId[e].attachedToRef; return host && after[host.id]; });
    const branches = reachable(g, hosted, stopVoids);
    const back = Object.keys(branches).filter(function (n) { return main[n] && !stopSide[n]; });
    const rejoined = reachable(g, back, stopVoids);
    const skippedAfter = !ends.length || ends.some(function (e) { return after[e] || rejoined[e]; });
    if (skippedBefore && skippedAfter) {
      report(reporter, el.id, "checkpoint_bypassed", "Có đường đi tới bước ghi sổ mà không qua bước bắt buộc «" + cp.title + "».");
    }
  });
});

export const RULES = {
  "condition-missing": conditionMissing,
  "implicit-split": implicitSplit,
  "timer-invalid": timerInvalid,
  "lane-role": laneRole,
  "user-task-lane": userTaskLane,
  "form-missing": formMissing,
  "status-missing": statusMissing,
  "unknown-operation": unknownOperation,
  "checkpoints": checkpoints
};
const WARNINGS = { "status-missing": true };

/* bpmn-js-bpmnlint's { config, resolver }: our plugin ("hotich/<rule>") configured with the server's options
   (forms, operations, checkpoints of the procedure). */
export function lintConfig(options) {
  const rules = {};
  const cache = {};
  Object.keys(RULES).forEach(function (name) {
    rules["hotich/" + name] = [WARNINGS[name] ? "warn" : "error", options];
    cache["rule:bpmnlint-plugin-hotich/" + name] = RULES[name];
  });
  return {
    config: { rules: rules },
    resolver: {
      resolveRule: function (pkg, name) {
        const rule = cache["rule:" + pkg + "/" + name];
        if (!rule) { throw new Error("unknown rule <" + pkg + "/" + name + ">"); }
        return rule;
      },
      resolveConfig: function (pkg, name) { throw new Error("unknown config <" + pkg + "/" + name + ">"); }
    }
  };
}
