// Draws every element with a data-vega-spec attribute (the id of a json_script element holding a
// Vega-Lite spec) with the vega bundle of vl-convert; again after htmx swaps in new content.
(function () {
  function draw(root) {
    if (!window.vegaEmbed) return;
    root.querySelectorAll("[data-vega-spec]").forEach(function (element) {
      if (element.dataset.vegaDrawn) return;
      var source = document.getElementById(element.dataset.vegaSpec);
      if (!source) return;
      element.dataset.vegaDrawn = "1";
      window.vegaEmbed(element, JSON.parse(source.textContent), { actions: false, renderer: "svg" })
        .then(function () { element.dataset.vegaReady = "1"; })
        .catch(function (error) { element.textContent = String(error); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
