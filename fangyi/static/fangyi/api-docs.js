// /api/docs: start Swagger UI (from the project's own static files) on the schema whose
// URL the page gives; "Try it out" sends the page's CSRF token with the login session.
(function () {
  "use strict";
  var element = document.getElementById("swagger-ui");
  var settings = JSON.parse(element.dataset.settings);
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis];
  settings.requestInterceptor = function (request) {
    request.headers["X-CSRFToken"] = element.dataset.csrf;
    return request;
  };
  SwaggerUIBundle(settings);
})();
