// Parses KQL read from standard input with Microsoft's Kusto language service
// (npm @kusto/language-service-next) and prints each diagnostic; exits 1 if there is any.
// Used by tests/query.rs; the package is installed by .ci/run into target/node.
const dir = process.env.KUSTO_LANGUAGE_SERVICE;
require(dir + "/bridge.js");
require(dir + "/Kusto.Language.Bridge.js");
const text = require("fs").readFileSync(0, "utf8");
// Syntax only: the workspace's tables are not declared here, so names are not resolved.
const code = Kusto.Language.KustoCode.Parse(text);
const diags = code.GetDiagnostics();
for (let i = 0; i < diags.Count; i++) {
  const d = diags.getItem(i);
  console.log(`${d.Severity}: ${d.Message} at ${d.Start}`);
}
process.exit(diags.Count === 0 ? 0 : 1);
