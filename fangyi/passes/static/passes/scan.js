// Reads a pass QR with the phone camera (jsQR on a <video> frame drawn to a canvas),
// puts the token in the form and moves on to the temperature. Without a camera or
// permission the guard types the code instead.
(function () {
  "use strict";
  var script = document.getElementById("scan-script");
  var start = document.getElementById("scan-start");
  var video = document.getElementById("scan-video");
  var canvas = document.getElementById("scan-canvas");
  var state = document.getElementById("scan-state");
  var token = document.getElementById("f-token");
  var temperature = document.getElementById("f-temperature");
  if (!start || !window.jsQR) return;
  var stream = null;

  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = true;
  }

  function tick() {
    if (!stream) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && /^P[12]\./.test(found.data)) {
        token.value = found.data;
        state.textContent = script.dataset.scanned;
        stop();
        temperature.focus();
        return;
      }
    }
    requestAnimationFrame(tick);
  }

  start.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      state.textContent = script.dataset.nocamera;
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      video.play();
      requestAnimationFrame(tick);
    }).catch(function () { state.textContent = script.dataset.nocamera; });
  });
})();
