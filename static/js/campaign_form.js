// The campaign form: a file chosen for a message is previewed before it is uploaded (an
// image's thumbnail, else its name and size), with a button that takes it back; the stored
// file's "Remove" box is the server's.
(function () {
  "use strict";

  function size(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function preview(input) {
    var box = document.querySelector("[data-preview-for='" + input.id + "']");
    if (!box) return;
    var url = box.dataset.url;
    if (url) URL.revokeObjectURL(url);
    box.replaceChildren();
    delete box.dataset.url;
    var file = input.files && input.files[0];
    box.hidden = !file;
    if (!file) return;
    if (file.type.indexOf("image/") === 0) {
      var img = document.createElement("img");
      box.dataset.url = img.src = URL.createObjectURL(file);
      img.alt = file.name;
      img.className = "media-thumb";
      img.dataset.testid = "media-preview-image";
      box.appendChild(img);
    }
    var label = document.createElement("span");
    label.textContent = file.name + " · " + size(file.size);
    label.dataset.testid = "media-preview-name";
    box.appendChild(label);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = box.dataset.removeLabel;
    remove.dataset.testid = "media-preview-remove";
    remove.addEventListener("click", function () {
      input.value = "";
      preview(input);
      input.focus();
    });
    box.appendChild(remove);
  }

  document.querySelectorAll("input[data-media-input]").forEach(function (input) {
    input.addEventListener("change", function () { preview(input); });
    if (input.files && input.files.length) preview(input);
  });
})();
