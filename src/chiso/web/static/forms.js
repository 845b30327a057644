/* chiso data-entry forms: check values while typing, with the server's rules (chiso.ingest.validate
 * check_numbers, chiso.workflow far_from_history, required fields at submit). The server checks again on
 * save and is the authority; this only tells the user sooner. Self-hosted, no dependencies. */
(function () {
  "use strict";

  var form = document.getElementById("entry");
  if (!form) { return; }
  var lang = form.getAttribute("data-lang") === "en" ? "en" : "vi";

  var MSG = {
    not_a_number: ["phải là một số", "must be a number"],
    parts_need_both: ["cần cả tử số và mẫu số", "needs both numerator and denominator"],
    parts_not_for_kind: ["chỉ tiêu loại {kind} không có tử số, mẫu số", "an indicator of kind {kind} has no numerator or denominator"],
    negative: ["không được âm", "must not be negative"],
    denominator_not_positive: ["mẫu số phải lớn hơn 0", "denominator must be above 0"],
    numerator_above_denominator: ["tử số {numerator} lớn hơn mẫu số {denominator}", "numerator {numerator} is above denominator {denominator}"],
    value_disagrees_with_parts: ["giá trị {value} không khớp với tử số/mẫu số ({computed})", "value {value} disagrees with numerator/denominator ({computed})"],
    below_range: ["nhỏ hơn giá trị thấp nhất cho phép {lo}", "is below the lowest allowed value {lo}"],
    above_range: ["lớn hơn giá trị cao nhất cho phép {hi}", "is above the highest allowed value {hi}"],
    far: ["khác xa lịch sử của đơn vị: hãy giải thích trong phần ghi chú", "far from this unit's history: explain it in a comment"],
    required: ["bắt buộc, đang để trống", "is required but empty"],
    blocked: ["Chưa gửi: hãy sửa các lỗi được đánh dấu.", "Not sent: fix the problems marked."]
  };

  function text(id, params) {
    var t = MSG[id][lang === "en" ? 1 : 0];
    Object.keys(params || {}).forEach(function (k) { t = t.split("{" + k + "}").join(String(params[k])); });
    return t;
  }

  // a problem: the server's rule name (as in the API's errors[].rule) and its text
  function msg(id, params) {
    return {rule: id === "far" ? "far_from_history" : id, text: text(id, params)};
  }

  // chiso.ingest.validate.parse_number: machine (63.47) or Vietnamese (63,47; 1.267.427) numbers
  var GROUPED = [
    [".", /^[+-]?\d{1,3}((\.\d{3}){2,}(,\d+)?|\.\d{3},\d+)$/],
    [",", /^[+-]?\d{1,3}((,\d{3}){2,}(\.\d+)?|,\d{3}\.\d+)$/]
  ];
  var NUM = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

  function parseNumber(text) {
    var s = text.trim().replace(/\u00a0/g, "").replace(/ /g, "");
    if (s.slice(-1) === "%") { s = s.slice(0, -1); }
    for (var i = 0; i < GROUPED.length; i++) {
      var th = GROUPED[i][0];
      if (GROUPED[i][1].test(s)) {
        var dec = th === "." ? "," : ".";
        return Number(s.split(th).join("").replace(dec, "."));
      }
    }
    if ((s.match(/,/g) || []).length === 1 && s.indexOf(".") < 0) { s = s.replace(",", "."); }
    if (!NUM.test(s)) { return NaN; }
    var x = Number(s);
    return isFinite(x) ? x : NaN;
  }

  function fmt(x) {
    var t = Number.isInteger(x) ? String(x) : String(Math.round(x * 1e6) / 1e6);
    return lang === "vi" ? t.replace(".", ",") : t;
  }

  function median(xs) {
    var s = xs.slice().sort(function (a, b) { return a - b; });
    var n = s.length;
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  // chiso.workflow.far_from_history
  function farFromHistory(value, history) {
    if (history.length < 3) { return false; }
    var med = median(history);
    var mad = median(history.map(function (h) { return Math.abs(h - med); })) * 1.4826;
    return Math.abs(value - med) > Math.max(4 * mad, 0.3 * Math.abs(med), 1e-9);
  }

  function input(field, part) {
    return field.querySelector("[name='" + field.getAttribute("data-code") + "." + part + "']");
  }

  function read(field, part, typing, problems) {
    var el = input(field, part);
    var text = el ? el.value.trim() : "";
    if (!text) { return null; }
    if (typing && /[.,]$/.test(text)) { return undefined; }  // still typing "45,"
    var x = parseNumber(text);
    if (isNaN(x)) { problems.push(msg("not_a_number")); return undefined; }
    return x;
  }

  /* Returns the field's problems; ``submitting`` adds the required-field rule. */
  function check(field, typing, submitting) {
    var problems = [];
    var kind = field.getAttribute("data-kind");
    var hasParts = field.getAttribute("data-parts") === "1";
    var decimals = Number(field.getAttribute("data-decimals") || "2");
    var lo = field.getAttribute("data-min"), hi = field.getAttribute("data-max");
    var history = JSON.parse(field.getAttribute("data-history") || "[]");
    var value = read(field, "value", typing, problems);
    var num = read(field, "numerator", typing, problems);
    var den = read(field, "denominator", typing, problems);
    var valueEl = input(field, "value");
    if (valueEl) { valueEl.placeholder = ""; }
    if (value === undefined || num === undefined || den === undefined) { return problems; }
    if (value === null && num === null && den === null) {
      if (submitting && field.getAttribute("data-stored") !== "1") { problems.push(msg("required")); }
      return problems;
    }
    if ((num === null) !== (den === null)) { problems.push(msg("parts_need_both")); return problems; }
    if (num !== null) {
      if (!hasParts) { problems.push(msg("parts_not_for_kind", {kind: kind})); return problems; }
      if (num < 0) { problems.push(msg("negative")); }
      if (den <= 0) { problems.push(msg("denominator_not_positive")); return problems; }
      if (kind === "rate" && num > den) {
        problems.push(msg("numerator_above_denominator", {numerator: fmt(num), denominator: fmt(den)}));
        return problems;
      }
      var computed = (kind === "rate" ? 100 : 1) * num / den;
      if (value === null) {
        var k = Math.pow(10, Math.max(decimals, 4));
        value = Math.round(computed * k) / k;
        if (valueEl) { valueEl.placeholder = fmt(value); }
      } else if (Math.abs(value - computed) > Math.max(0.5 * Math.pow(10, -decimals), 1e-9 * Math.abs(computed)) + 1e-9) {
        problems.push(msg("value_disagrees_with_parts", {value: fmt(value), computed: fmt(computed)}));
      }
    }
    if (lo !== "" && value < Number(lo)) { problems.push(msg("below_range", {lo: fmt(Number(lo))})); }
    if (hi !== "" && value > Number(hi)) { problems.push(msg("above_range", {hi: fmt(Number(hi))})); }
    var comment = input(field, "comment");
    if (!problems.length && farFromHistory(value, history) && !(comment && comment.value.trim())) {
      problems.push(msg("far"));
    }
    return problems;
  }

  function show(field, problems) {
    var list = field.querySelector(".js-problems");
    if (!list) { return; }
    list.textContent = "";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p.text;
      li.setAttribute("data-rule", p.rule);
      list.appendChild(li);
    });
    list.hidden = problems.length === 0;
  }

  var fields = Array.prototype.slice.call(form.querySelectorAll("tbody.field"));
  fields.forEach(function (field) {
    field.addEventListener("input", function () {
      var server = field.querySelector(".problems");
      if (server) { server.hidden = true; }  // the server's verdict is about the old input
      show(field, check(field, true, false));
    });
    field.addEventListener("focusout", function () { show(field, check(field, false, false)); });
  });

  form.addEventListener("submit", function (ev) {
    var submitting = ev.submitter && ev.submitter.value === "submit";
    var bad = null;
    fields.forEach(function (field) {
      var problems = check(field, false, submitting);
      show(field, problems);
      if (problems.length && !bad) { bad = field; }
    });
    if (bad) {
      ev.preventDefault();
      var first = bad.querySelector("input, textarea");
      if (first) { first.focus(); }
      window.alert(text("blocked"));
    }
  });
}());
