// Ed25519 for browsers whose WebCrypto lacks it (Chromium before 137, older Android
// WebViews): @noble/ed25519, vendored from npm (Makefile, no CDN), offered to
// gate-offline.js as window.fangyiEd25519. A module script, as the library is an ES module.
import { verifyAsync } from "../vendor/noble-ed25519.js";

// Strict RFC 8032 verification (not ZIP 215), as WebCrypto and the server's cryptography.
window.fangyiEd25519 = {
  verify: function (signature, message, publicKey) {
    return verifyAsync(signature, message, publicKey, { zip215: false });
  },
};
