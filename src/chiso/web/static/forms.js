/* chiso data-entry forms: check values while typing, with the server's rules (chiso.ingest.intake
 * check_numbers, chiso.workflow far_from_history, required fields at submit). The server checks again on
 * save and is the authority; this only tells the user sooner. Self-hosted, no dependencies.
 * readNumber is chiso.ingest.vnnumbers.read_number, rule for rule (its docstring states the rule). */
(function () {
  "use strict";

  // --- typed numbers: chiso.ingest.vnnumbers.read_number -------------------------------------------------
  var EXPONENT = /^[+-]?\d+(\.\d+)?[eE][+-]?\d+$/;
  var INTEGER = /^[+-]?\d+$/;
  var DECIMAL_COMMA = /^[+-]?\d+,\d+$/;
  var DOT_GROUPS = /^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/;
  var COMMA_GROUPS = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;
  var DECIMAL_POINT = /^[+-]?\d+\.\d+$/;
  var TWO_WAYS = /^[+-]?[1-9]\d{0,2}\.\d{3}$/;

  function within(x, reading) {
    return (reading.lo === null || reading.lo === undefined || x >= reading.lo) &&
      (reading.hi === null || reading.hi === undefined || x <= reading.hi);
  }

  /* A number, or {error: "not_a_number" | "ambiguous_number", params: {...}}. ``reading``: {whole, lo, hi,
   * machine} as chiso.ingest.vnnumbers.Reading. */
  function readNumber(text, reading) {
    reading = reading || {machine: true};
    var s = text.trim().replace(/[\u00a0\u202f ]/g, "");
    if (s.slice(-1) === "%") { s = s.slice(0, -1); }
    var x;
    if (INTEGER.test(s) || EXPONENT.test(s)) {
      x = Number(s);
    } else if (DECIMAL_COMMA.test(s)) {
      x = Number(s.replace(",", "."));
    } else if (DOT_GROUPS.test(s) && (s.split(".").length > 2 || s.indexOf(",") >= 0)) {
      x = Number(s.split(".").join("").replace(",", "."));
    } else if (COMMA_GROUPS.test(s)) {
      x = Number(s.split(",").join(""));
    } else if (TWO_WAYS.test(s)) {
      var grouped = Number(s.replace(".", "")), point = Number(s);
      if (reading.machine) {
        x = point;
      } else if (reading.whole) {
        x = grouped;
      } else {
        var fits = [grouped, point].filter(function (r) { return within(r, reading); });
        if (fits.length !== 1) {
          return {error: "ambiguous_number",
                  params: {text: s, whole: s.replace(".", ""), decimal: s.replace(".", ",")}};
        }
        x = fits[0];
      }
    } else if (DECIMAL_POINT.test(s)) {
      x = Number(s);
    } else {
      return {error: "not_a_number", params: {}};
    }
    if (!isFinite(x)) { return {error: "not_a_number", params: {}}; }
    return x;
  }

  if (typeof module === "object" && module.exports) { module.exports.readNumber = readNumber; }
  if (typeof document === "undefined") { return; }

  var form = document.getElementById("entry");
  if (!form) { return; }
  var lang = form.getAttribute("data-lang") === "en" ? "en" : "vi";
  var WHOLE_KINDS = ["count", "stock", "rank"];  // chiso.ingest.intake.WHOLE_KINDS

  // the texts, in the page's language: chiso.i18n's messages (id → text with {params}), which form.html
  // writes into the form's data-messages; an id without a text shows as itself
  var MSG = JSON.parse(form.getAttribute("data-messages") || "{}");

  function text(id, params) {
    var t = Object.prototype.hasOwnProperty.call(MSG, id) ? MSG[id] : id;
    Object.keys(params || {}).forEach(function (k) { t = t.split("{" + k + "}").join(String(params[k])); });
    return t;
  }

  // a problem: the server's rule name (as in the API's errors[].rule) and its text
  function msg(id, params) {
    return {rule: id, text: text(id, params)};
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

  // chiso.ingest.intake.reading_for: the value (and a target) by its indicator; a part is a plain quantity
  function readingOf(field, part) {
    if (part !== "value") { return {whole: false, lo: 0, hi: null}; }
    var lo = field.getAttribute("data-min"), hi = field.getAttribute("data-max");
    return {whole: WHOLE_KINDS.indexOf(field.getAttribute("data-kind")) >= 0,
            lo: lo === "" || lo === null ? null : Number(lo), hi: hi === "" || hi === null ? null : Number(hi)};
  }

  function read(field, part, typing, problems) {
    var el = input(field, part);
    var text = el ? el.value.trim() : "";
    if (!text) { return null; }
    if (typing && /[.,]$/.test(text)) { return undefined; }  // still typing "45,"
    var x = readNumber(text, readingOf(field, part));
    if (typeof x !== "number") { problems.push(msg(x.error, x.params)); return undefined; }
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
    if (WHOLE_KINDS.indexOf(kind) >= 0 && !Number.isInteger(value)) { problems.push(msg("not_whole", {kind: kind})); }
    if (lo !== "" && value < Number(lo)) { problems.push(msg("below_range", {lo: fmt(Number(lo))})); }
    if (hi !== "" && value > Number(hi)) { problems.push(msg("above_range", {hi: fmt(Number(hi))})); }
    var comment = input(field, "comment");
    if (!problems.length && farFromHistory(value, history) && !(comment && comment.value.trim())) {
      problems.push(msg("far_from_history"));
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
      window.alert(text("page.form.blocked"));
    }
  });
}());
