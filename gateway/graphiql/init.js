// Renders GraphiQL against this page's own URL (the gateway's /graphql), with the
// example operations the gateway put into #graphiql-config as tabs, and the headers
// editor open so an access token can be pasted in.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var h = React.createElement;

  // GraphiQL 3 fills only the query editor from the first default tab; this fills the
  // variables and headers editors from the active tab when they start out empty.
  function FillEditorsFromTab() {
    var editors = GraphiQL.React.useEditorContext({ nonNull: true });
    React.useEffect(
      function () {
        var tab = editors.tabs[editors.activeTabIndex];
        if (editors.variableEditor && !editors.variableEditor.getValue() && tab.variables) {
          editors.variableEditor.setValue(tab.variables);
        }
        if (editors.headerEditor && !editors.headerEditor.getValue() && tab.headers) {
          editors.headerEditor.setValue(tab.headers);
        }
      },
      [editors.variableEditor, editors.headerEditor]
    );
    return null;
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    h(
      GraphiQL,
      {
        fetcher: GraphiQL.createFetcher({ url: window.location.pathname }),
        defaultTabs: config.tabs.length ? config.tabs : undefined,
        defaultEditorToolsVisibility: "headers",
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: false,
      },
      h(GraphiQL.Footer, null, h(FillEditorsFromTab))
    )
  );
})();
