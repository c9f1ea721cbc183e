// Shared by the area scripts: a DynamicsWebApi client pointed at the emulator, and a runner that prints
// one JSON document on stdout for the Python test to check.
//
// Environment (set by tests/integration/webapi_js/conftest.py):
//   COMMS_DATAVERSE_URL  the emulator's origin (https://127.0.0.1:<port>)
//   COMMS_TOKEN          the static bearer token the emulator accepts
//   NODE_EXTRA_CA_CERTS  the emulator's CA, trusted as a user would trust a private CA
"use strict";

const https = require("https");
const { DynamicsWebApi } = require("dynamics-web-api");

// Every request the library sends and the status and headers it got back, so a test can check the wire
// (the Prefer headers it sends, Preference-Applied, If-Match). The library calls https.request through a
// live binding, so wrapping it here sees each call. The bearer token is left out.
const wire = [];
const httpsRequest = https.request;
https.request = function (options, callback) {
    const { Authorization, ...headers } = options.headers || {};
    const entry = { method: options.method, path: options.path, headers, signedIn: Boolean(Authorization) };
    wire.push(entry);
    return httpsRequest.call(this, options, (response) => {
        entry.status = response.statusCode;
        entry.responseHeaders = response.headers;
        callback(response);
    });
};

function client(config = {}) {
    const token = process.env.COMMS_TOKEN;
    return new DynamicsWebApi({
        serverUrl: process.env.COMMS_DATAVERSE_URL,
        dataApi: { version: "9.2" },
        onTokenRefresh: async () => token,
        ...config,
    });
}

// The fields of a DynamicsWebApi error the tests look at. For a request of its own the library copies the
// Web API error body's `error` object (code, message) onto an Error and adds the HTTP status and headers;
// for a part of a $batch it keeps the whole body, so code and message are under `error.error`. A failed
// batch rejects with the array of its parts.
function failure(error) {
    if (Array.isArray(error)) return { batch: error.map(failure) };
    const body = error.error || error;
    return {
        status: error.status,
        code: body.code,
        message: body.message,
        statusMessage: error.statusMessage,
        isError: error instanceof Error,
    };
}

// `await caught(promise)` is the promise's value, or the failure it rejected with under `{error: ...}`.
async function caught(promise) {
    try {
        return { value: await promise };
    } catch (error) {
        return { error: failure(error) };
    }
}

function run(scenario) {
    scenario(client)
        .then((result) => process.stdout.write(JSON.stringify(result)))
        .catch((error) => {
            process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
            process.stderr.write(`${JSON.stringify(failure(error))}\n`);
            process.exitCode = 1;
        });
}

module.exports = { caught, client, failure, run, wire };
