// Counts every text of a JSON array read from stdin with the SMS form's counter and prints
// [encoding, units, parts, partLimit] per text (used by tests/unit/solution/test_sms_form_counting.py).
"use strict";
const path = require("node:path");

const counter = require(path.resolve(process.env.COMMS_JS)).Sms.helpers.countSegments;
const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
    const texts = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const counts = texts.map((text) => {
        const count = counter(text);
        return [count.encoding, count.units, count.parts, count.partLimit];
    });
    process.stdout.write(JSON.stringify(counts));
});
