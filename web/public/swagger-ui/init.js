// Starts Swagger UI on /docs. A file of its own, not an inline script: the service's
// Content-Security-Policy allows scripts from this origin only. The validator badge is off,
// as it would send the document to a third party.
window.ui = window.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
});
