/* Our properties panel groups: what the engine reads, edited with the server's lists instead of XML
   (app/engine/definition.py's diagram contract):
   - lane: its role (the lane id lane_<role>);
   - user task: its form (formJsonSchemaFilename), dossier status, due working days, pre/post scripts;
   - service task: its operation, result variable and parameters;
   - sequence flow out of an exclusive gateway: its condition, or "default flow";
   - script task: its script.
   Timers are edited in the standard "Timer" group of bpmn-js-properties-panel. */
import { h } from "@bpmn-io/properties-panel/preact";
import {
  CheckboxEntry,
  isCheckboxEntryEdited,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { is } from "bpmn-js/lib/util/ModelUtil";

const ROLE_LABELS = {
  reception: "Tiếp nhận (một cửa)",
  officer: "Công chức tư pháp – hộ tịch",
  chairman: "Lãnh đạo UBND",
  system: "Hệ thống (không phải người)"
};

function extensionValue(bo, type) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.filter(function (v) { return v.$type === type; })[0];
}

function spiffProperty(bo, name) {
  const props = extensionValue(bo, "spiffworkflow:Properties");
  const found = ((props && props.properties) || []).filter(function (p) { return p.name === name; })[0];
  return found ? found.value : "";
}

function run(commandStack, commands) {
  if (commands.length) { commandStack.execute("properties-panel.multi-command-executor", commands); }
}

function update(element, moddleElement, properties) {
  return { cmd: "element.updateModdleProperties", context: { element: element, moddleElement: moddleElement, properties: properties } };
}

/* The element's extension of `type`, created (with bpmn:extensionElements) when missing; commands appended. */
function ensureExtension(element, moddle, type, attrs, commands) {
  const bo = element.businessObject;
  let ext = bo.extensionElements;
  if (!ext) {
    ext = moddle.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    commands.push(update(element, bo, { extensionElements: ext }));
  }
  let found = (ext.values || []).filter(function (v) { return v.$type === type; })[0];
  if (!found) {
    found = moddle.create(type, attrs || {});
    found.$parent = ext;
    commands.push(update(element, ext, { values: (ext.values || []).concat([found]) }));
  }
  return found;
}

function setSpiffProperty(element, injector, name, value) {
  const moddle = injector.get("moddle");
  const commands = [];
  const props = ensureExtension(element, moddle, "spiffworkflow:Properties", { properties: [] }, commands);
  const list = props.properties || [];
  const found = list.filter(function (p) { return p.name === name; })[0];
  if (!value) {
    if (found) { commands.push(update(element, props, { properties: list.filter(function (p) { return p !== found; }) })); }
  } else if (found) {
    commands.push(update(element, found, { value: value }));
  } else {
    const prop = moddle.create("spiffworkflow:Property", { name: name, value: value });
    prop.$parent = props;
    commands.push(update(element, props, { properties: list.concat([prop]) }));
  }
  run(injector.get("commandStack"), commands);
}

function setBodyExtension(element, injector, type, text) {
  const bo = element.businessObject;
  const existing = extensionValue(bo, type);
  const commands = [];
  if (!text) {
    if (existing) {
      const ext = bo.extensionElements;
      commands.push(update(element, ext, { values: ext.values.filter(function (v) { return v !== existing; }) }));
    }
  } else if (existing) {
    commands.push(update(element, existing, { value: text }));
  } else {
    ensureExtension(element, injector.get("moddle"), type, { value: text }, commands);
  }
  run(injector.get("commandStack"), commands);
}

/* -- entries --------------------------------------------------------------------------------------- */

function options(injector) {
  return injector.get("config").hotich || {};
}

function LaneRole(props) {
  const element = props.element;
  const injector = useService("injector");
  const roles = options(injector).roles || [];
  return h(SelectEntry, {
    element: element,
    id: "hotich-lane-role",
    label: "Vai trò của làn",
    getValue: function () { return (element.businessObject.id || "").replace(/^lane_/, ""); },
    setValue: function (role) { injector.get("modeling").updateProperties(element, { id: "lane_" + role }); },
    getOptions: function () {
      const current = (element.businessObject.id || "").replace(/^lane_/, "");
      const out = roles.map(function (r) { return { value: r, label: ROLE_LABELS[r] || r }; });
      if (roles.indexOf(current) < 0) { out.unshift({ value: current, label: "(không có vai trò: " + current + ")" }); }
      return out;
    }
  });
}

function propertySelect(id, label, name, choices) {
  return function (props) {
    const element = props.element;
    const injector = useService("injector");
    return h(SelectEntry, {
      element: element,
      id: id,
      label: label,
      getValue: function () { return spiffProperty(element.businessObject, name); },
      setValue: function (value) { setSpiffProperty(element, injector, name, value); },
      getOptions: function () {
        return [{ value: "", label: "(chưa chọn)" }].concat(choices(options(injector)));
      }
    });
  };
}

const UserTaskForm = propertySelect("hotich-form", "Biểu mẫu", "formJsonSchemaFilename", function (o) {
  return (o.forms || []).map(function (f) { return { value: f, label: f }; });
});

const UserTaskStatus = propertySelect("hotich-status", "Trạng thái hồ sơ khi mở nhiệm vụ", "dossier_status", function (o) {
  const statuses = o.statuses || {};
  return Object.keys(statuses).map(function (code) { return { value: code, label: statuses[code] + " (" + code + ")" }; });
});

function propertyText(id, label, name, description) {
  return function (props) {
    const element = props.element;
    const injector = useService("injector");
    return h(TextFieldEntry, {
      element: element,
      id: id,
      label: label,
      description: description,
      debounce: useService("debounceInput"),
      getValue: function () { return spiffProperty(element.businessObject, name); },
      setValue: function (value) { setSpiffProperty(element, injector, name, (value || "").trim()); }
    });
  };
}

const UserTaskDue = propertyText("hotich-due", "Thời hạn (ngày làm việc)", "due_working_days", "Để trống: theo hạn của hồ sơ.");
const UserTaskBlocked = propertyText(
  "hotich-blocked",
  "Quyết định bị chặn khi có phát hiện «Chặn»",
  "blocked_decisions",
  "Cách nhau bằng dấu phẩy, ví dụ approve."
);

function bodyScript(id, label, type) {
  return function (props) {
    const element = props.element;
    const injector = useService("injector");
    return h(TextAreaEntry, {
      element: element,
      id: id,
      label: label,
      monospace: true,
      rows: 3,
      debounce: useService("debounceInput"),
      getValue: function () {
        const found = extensionValue(element.businessObject, type);
        return found ? found.value || "" : "";
      },
      setValue: function (value) { setBodyExtension(element, injector, type, value); }
    });
  };
}

const PreScript = bodyScript("hotich-prescript", "Kịch bản khi mở (preScript)", "spiffworkflow:PreScript");
const PostScript = bodyScript("hotich-postscript", "Kịch bản khi hoàn thành (postScript)", "spiffworkflow:PostScript");

function operatorOf(bo) {
  return extensionValue(bo, "spiffworkflow:ServiceTaskOperator");
}

function setOperator(element, injector, attrs) {
  const commands = [];
  const op = ensureExtension(element, injector.get("moddle"), "spiffworkflow:ServiceTaskOperator", attrs, commands);
  if (commands.length === 0) {
    commands.push(update(element, op, attrs));
  }
  run(injector.get("commandStack"), commands);
}

function ServiceOperation(props) {
  const element = props.element;
  const injector = useService("injector");
  return h(SelectEntry, {
    element: element,
    id: "hotich-operation",
    label: "Thao tác",
    getValue: function () { const op = operatorOf(element.businessObject); return op ? op.id || "" : ""; },
    setValue: function (value) { setOperator(element, injector, { id: value }); },
    getOptions: function () {
      return [{ value: "", label: "(chưa chọn)" }].concat((options(injector).operations || []).map(function (o) {
        return { value: o, label: o };
      }));
    }
  });
}

function ServiceResult(props) {
  const element = props.element;
  const injector = useService("injector");
  return h(TextFieldEntry, {
    element: element,
    id: "hotich-result",
    label: "Biến nhận kết quả",
    debounce: useService("debounceInput"),
    getValue: function () { const op = operatorOf(element.businessObject); return op ? op.resultVariable || "" : ""; },
    setValue: function (value) { setOperator(element, injector, { resultVariable: (value || "").trim() }); }
  });
}

function ServiceParameters(props) {
  const element = props.element;
  const injector = useService("injector");
  return h(TextAreaEntry, {
    element: element,
    id: "hotich-parameters",
    label: "Tham số (mỗi dòng: tên = biểu thức)",
    description: 'Biểu thức Python, ví dụ kind = "birth_certificate".',
    monospace: true,
    rows: 3,
    debounce: useService("debounceInput"),
    getValue: function () {
      const op = operatorOf(element.businessObject);
      const list = (op && op.parameterList && op.parameterList.parameters) || [];
      return list.map(function (p) { return p.id + " = " + (p.value || ""); }).join("\n");
    },
    setValue: function (text) {
      const moddle = injector.get("moddle");
      const commands = [];
      const op = ensureExtension(element, moddle, "spiffworkflow:ServiceTaskOperator", {}, commands);
      const parameters = (text || "").split("\n").map(function (line) {
        const at = line.indexOf("=");
        if (at < 0) { return null; }
        const id = line.slice(0, at).trim();
        return id ? moddle.create("spiffworkflow:Parameter", { id: id, type: "any", value: line.slice(at + 1).trim() }) : null;
      }).filter(Boolean);
      const list = moddle.create("spiffworkflow:Parameters", { parameters: parameters });
      list.$parent = op;
      commands.push(update(element, op, { parameterList: list }));
      run(injector.get("commandStack"), commands);
    }
  });
}

function fromExclusiveGateway(element) {
  return is(element, "bpmn:SequenceFlow") && element.source && is(element.source, "bpmn:ExclusiveGateway");
}

function FlowCondition(props) {
  const element = props.element;
  const injector = useService("injector");
  return h(TextAreaEntry, {
    element: element,
    id: "hotich-condition",
    label: "Điều kiện (biểu thức Python)",
    description: 'Ví dụ officer_examine["decision"] == "approve"',
    monospace: true,
    rows: 2,
    debounce: useService("debounceInput"),
    getValue: function () {
      const cond = element.businessObject.conditionExpression;
      return cond ? cond.body || "" : "";
    },
    setValue: function (value) {
      const text = (value || "").trim();
      const expr = text ? injector.get("moddle").create("bpmn:FormalExpression", { body: text }) : undefined;
      injector.get("modeling").updateProperties(element, { conditionExpression: expr });
    }
  });
}

function FlowDefault(props) {
  const element = props.element;
  const injector = useService("injector");
  return h(CheckboxEntry, {
    element: element,
    id: "hotich-default-flow",
    label: "Luồng mặc định (khi không điều kiện nào đúng)",
    getValue: function () { return element.source.businessObject.default === element.businessObject; },
    setValue: function (checked) {
      injector.get("modeling").updateProperties(element.source, { default: checked ? element.businessObject : undefined });
    }
  });
}

function ScriptBody(props) {
  const element = props.element;
  const injector = useService("injector");
  return h(TextAreaEntry, {
    element: element,
    id: "hotich-script",
    label: "Kịch bản (Python, bị giới hạn)",
    monospace: true,
    rows: 5,
    debounce: useService("debounceInput"),
    getValue: function () { return element.businessObject.script || ""; },
    setValue: function (value) { injector.get("modeling").updateProperties(element, { scriptFormat: "python", script: value || "" }); }
  });
}

function group(id, label, entries) {
  return { id: id, label: label, entries: entries };
}

function groupsFor(element) {
  if (is(element, "bpmn:Lane")) {
    return [group("hotich-lane", "Vai trò", [{ id: "hotich-lane-role", component: LaneRole, isEdited: isSelectEntryEdited }])];
  }
  if (is(element, "bpmn:UserTask")) {
    return [
      group("hotich-user-task", "Nhiệm vụ người dùng", [
        { id: "hotich-form", component: UserTaskForm, isEdited: isSelectEntryEdited },
        { id: "hotich-status", component: UserTaskStatus, isEdited: isSelectEntryEdited },
        { id: "hotich-due", component: UserTaskDue, isEdited: isTextFieldEntryEdited },
        { id: "hotich-blocked", component: UserTaskBlocked, isEdited: isTextFieldEntryEdited }
      ]),
      group("hotich-scripts", "Kịch bản của nhiệm vụ", [
        { id: "hotich-prescript", component: PreScript, isEdited: isTextAreaEntryEdited },
        { id: "hotich-postscript", component: PostScript, isEdited: isTextAreaEntryEdited }
      ])
    ];
  }
  if (is(element, "bpmn:ServiceTask")) {
    return [group("hotich-service", "Thao tác dịch vụ", [
      { id: "hotich-operation", component: ServiceOperation, isEdited: isSelectEntryEdited },
      { id: "hotich-result", component: ServiceResult, isEdited: isTextFieldEntryEdited },
      { id: "hotich-parameters", component: ServiceParameters, isEdited: isTextAreaEntryEdited }
    ])];
  }
  if (fromExclusiveGateway(element)) {
    return [group("hotich-condition", "Điều kiện rẽ nhánh", [
      { id: "hotich-condition", component: FlowCondition, isEdited: isTextAreaEntryEdited },
      { id: "hotich-default-flow", component: FlowDefault, isEdited: isCheckboxEntryEdited }
    ])];
  }
  if (is(element, "bpmn:ScriptTask")) {
    return [group("hotich-script", "Kịch bản", [{ id: "hotich-script", component: ScriptBody, isEdited: isTextAreaEntryEdited }])];
  }
  return [];
}

function HotichPropertiesProvider(propertiesPanel) {
  propertiesPanel.registerProvider(500, this);
}

HotichPropertiesProvider.$inject = ["propertiesPanel"];

HotichPropertiesProvider.prototype.getGroups = function (element) {
  return function (groups) {
    const ours = groupsFor(element);
    const at = groups.findIndex(function (g) { return g.id === "general"; });
    groups.splice(at < 0 ? 0 : at + 1, 0, ...ours);
    return groups;
  };
};

export default {
  __init__: ["hotichPropertiesProvider"],
  hotichPropertiesProvider: ["type", HotichPropertiesProvider]
};
