/* Live character and segment count for the staff text box.
 * The rule (GSM-7 alphabet, segment sizes) comes from bot/sms/segments.py through the
 * form's data-sms-* attributes, so this file only does the arithmetic segments.py does;
 * the server checks every text again with segments.py. */
(function () {
  "use strict";

  function segmentInfo(text, rules) {
    var units = 0, gsm = true, ch;
    for (ch of text) {  /* code points, like Python */
      if (rules.basic.indexOf(ch) >= 0) { units += 1; }
      else if (rules.extended.indexOf(ch) >= 0) { units += 2; }
      else { gsm = false; break; }
    }
    var single = rules.limits[0], multi = rules.limits[1];
    if (!gsm) {
      units = text.length;  /* UTF-16 code units */
      single = rules.limits[2]; multi = rules.limits[3];
    }
    var segments = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: segments };
  }

  function oddChars(text, rules) {
    var seen = [], ch;
    for (ch of text) {
      if (rules.basic.indexOf(ch) < 0 && rules.extended.indexOf(ch) < 0 && seen.indexOf(ch) < 0) {
        seen.push(ch);
      }
    }
    return seen;
  }

  function rulesOf(form) {
    return {
      basic: form.dataset.smsBasic,
      extended: form.dataset.smsExtended,
      limits: form.dataset.smsLimits.split(",").map(Number),
      max: Number(form.dataset.smsMax)
    };
  }

  function update(box, form) {
    var rules = rulesOf(form);
    var info = segmentInfo(box.value, rules);
    var chars = Array.from(box.value).length;
    var counter = document.getElementById(box.id.replace(/^text-/, "count-"));
    var warning = document.getElementById(box.id.replace(/^text-/, "gsm-"));
    var text = chars + " character" + (chars === 1 ? "" : "s") + ", " + info.segments +
      " segment" + (info.segments === 1 ? "" : "s") + " (" + info.encoding + ")";
    if (info.segments > rules.max) {
      text += ": too long, " + rules.max + " segments at most";
    }
    counter.textContent = text;
    counter.classList.toggle("too-long", info.segments > rules.max);
    var odd = oddChars(box.value, rules);
    warning.hidden = odd.length === 0;
    warning.textContent = odd.length === 0 ? "" :
      "Not plain SMS: " + odd.join(" ") + ". With it the text is sent as UCS-2 (70 characters" +
      " a segment) and can cost twice as much. Use straight quotes ' \" and plain letters.";
  }

  document.querySelectorAll("form[data-sms-basic]").forEach(function (form) {
    var box = form.querySelector("textarea.sms-body");
    box.addEventListener("input", function () { update(box, form); });
    update(box, form);
  });

  window.nextstepsSegmentInfo = segmentInfo;  /* the browser test compares it with segments.py */
})();
