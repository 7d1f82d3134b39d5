// The playground: GraphiQL (served by this server, no outside network) with a tab per
// example operation (the trusted documents in operations/) and the header editor
// pre-filled for the access token.
(function () {
  'use strict';
  var headers = '{\n  "Authorization": "Bearer "\n}';
  var examples = window.PORTAL_EXAMPLES || [];
  var tabs = examples.map(function (e) {
    return { query: e.document, variables: e.variables, headers: headers };
  });
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultTabs: tabs.length ? tabs : undefined,
    // The first tab's editors start from these (GraphiQL 3 fills the others on switching).
    query: tabs.length ? tabs[0].query : undefined,
    variables: tabs.length ? tabs[0].variables : undefined,
    defaultHeaders: headers,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: true,
  }));
})();
