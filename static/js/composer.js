// The reply composer's extras (chat_panel.js has the rest): an emoji panel with search, images
// pasted from the clipboard, a preview of the attachment before sending (thumbnail, or name and
// size, with a remove button), and voice notes recorded with the microphone. A recording is
// attached like any file, with voice_note=1: the server rewraps a WebM recording as Ogg/Opus,
// and the preview says how the ticket's channel will deliver it (data-voice-types and
// data-audio-types on the form) before anything is sent.
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  function form() { return $("composer"); }

  // ------------------------------------------------------------------ emoji
  // emoji | English name | Portuguese name | more words to search for
  var EMOJI = [
    "😀|grinning face|rosto sorridente|smile happy sorriso feliz", "😃|big smile|sorrisão|happy feliz",
    "😄|smiling eyes|olhos sorridentes|happy feliz", "😁|beaming|radiante|grin feliz",
    "😅|sweat smile|sorriso de alívio|phew ufa", "😂|tears of joy|lágrimas de alegria|laugh lol risada",
    "🤣|rolling laughing|rolando de rir|laugh lol risada", "😊|blush|corado|smile happy sorriso",
    "🙂|slight smile|sorriso leve|ok", "😉|wink|piscadela|piscar", "😍|heart eyes|olhos de coração|love amor",
    "🥰|in love|apaixonado|love amor", "😘|kiss|beijo|love amor", "😎|cool|descolado|sunglasses óculos",
    "🤩|star struck|deslumbrado|wow uau", "🤔|thinking|pensando|hmm dúvida", "🤨|raised eyebrow|sobrancelha levantada|doubt dúvida",
    "😐|neutral|neutro|meh", "😶|no words|sem palavras|quiet", "🙄|eye roll|revirando os olhos|whatever",
    "😏|smirk|sorriso maroto|", "😌|relieved|aliviado|calm calmo", "😴|sleeping|dormindo|sleep sono zzz",
    "😷|mask|máscara|sick doente", "🤒|ill|febre|sick doente", "🥳|party face|festa|celebrate comemorar",
    "😢|crying|chorando|sad triste", "😭|sobbing|aos prantos|sad triste", "😤|huffing|bufando|angry bravo",
    "😡|angry|bravo|mad raiva", "😱|screaming|gritando|shock susto", "😳|flushed|envergonhado|embarrassed",
    "🥺|pleading|suplicando|please por favor", "😬|grimace|careta|oops", "🤗|hug|abraço|hugging",
    "🤝|handshake|aperto de mão|deal acordo", "👍|thumbs up|joinha|ok like positivo", "👎|thumbs down|negativo|dislike",
    "👏|clapping|palmas|applause aplausos", "🙏|folded hands|mãos juntas|please thanks obrigado por favor",
    "👋|waving|acenando|hello bye olá tchau", "👌|ok hand|tudo certo|perfect perfeito", "✌️|victory|vitória|peace paz",
    "🤞|fingers crossed|dedos cruzados|luck sorte", "💪|strong|forte|muscle músculo", "👀|eyes|olhos|look olhar",
    "❤️|red heart|coração vermelho|love amor", "🧡|orange heart|coração laranja|love amor", "💛|yellow heart|coração amarelo|love amor",
    "💚|green heart|coração verde|love amor", "💙|blue heart|coração azul|love amor", "💜|purple heart|coração roxo|love amor",
    "💔|broken heart|coração partido|sad triste", "✨|sparkles|brilhos|shine brilho", "⭐|star|estrela|favorite favorito",
    "🔥|fire|fogo|hot quente", "🎉|party popper|confete|celebrate festa parabéns", "🎁|gift|presente|present",
    "🎂|birthday cake|bolo de aniversário|parabéns", "✅|check mark|confirmado|done ok feito", "❌|cross mark|xis|no não erro",
    "⚠️|warning|atenção|alert alerta aviso", "❓|question|pergunta|dúvida", "❗|exclamation|exclamação|important importante",
    "💯|hundred points|cem pontos|perfect perfeito", "⏰|alarm clock|despertador|time hora", "⏳|hourglass|ampulheta|wait espera",
    "📅|calendar|calendário|date data", "📦|package|pacote|box caixa entrega delivery", "🚚|delivery truck|caminhão de entrega|shipping frete",
    "🛒|shopping cart|carrinho|buy compra", "💳|credit card|cartão de crédito|payment pagamento", "💰|money bag|saco de dinheiro|money dinheiro",
    "🧾|receipt|recibo|invoice nota fiscal", "📞|telephone|telefone|call ligar", "📱|mobile phone|celular|phone",
    "💬|speech balloon|balão de fala|chat message mensagem", "📧|e-mail|e-mail|mail", "📎|paperclip|clipe|attach anexo",
    "📍|pin|alfinete|location local endereço", "🏠|house|casa|home", "🏪|store|loja|shop",
    "🔧|wrench|chave inglesa|fix conserto", "🔒|locked|cadeado|secure seguro", "🔑|key|chave|password senha",
    "💡|light bulb|lâmpada|idea ideia", "📌|pushpin|tachinha|pin", "🙌|raised hands|mãos para cima|hooray oba",
    "☀️|sun|sol|weather", "🌧️|rain|chuva|weather", "☕|coffee|café|cup", "🍕|pizza|pizza|food comida",
    "⚽|soccer ball|bola de futebol|football futebol", "🇧🇷|flag Brazil|bandeira do Brasil|brasil"
  ].map(function (line) {
    var parts = line.split("|");
    return { emoji: parts[0], en: parts[1], pt: parts[2], words: (parts[1] + " " + parts[2] + " " + parts[3]).toLowerCase() };
  });
  var portuguese = (document.documentElement.lang || "").toLowerCase().indexOf("pt") === 0;

  function fold(text) {  // search without accents: "coracao" finds "coração"
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function renderEmoji(query) {
    var grid = $("emoji-grid");
    var wanted = fold(query.trim());
    grid.textContent = "";
    EMOJI.forEach(function (item) {
      if (wanted && fold(item.words).indexOf(wanted) === -1) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "emoji-option";
      button.dataset.testid = "emoji-option";
      button.dataset.emoji = item.emoji;
      button.textContent = item.emoji;
      var name = portuguese ? item.pt : item.en;
      button.setAttribute("aria-label", name);
      button.title = name;
      button.tabIndex = grid.children.length ? -1 : 0;  // one tab stop; arrows move inside
      grid.appendChild(button);
    });
    $("emoji-empty").hidden = grid.children.length > 0;
  }

  function emojiOpen(open) {
    var panel = $("emoji-panel");
    var toggle = $("composer-emoji");
    if (!panel || !toggle) return;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      $("emoji-search").value = "";
      renderEmoji("");
      $("emoji-search").focus();
    }
  }

  function insertAtCaret(text) {
    var field = $("composer-input");
    var start = field.selectionStart == null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd == null ? start : field.selectionEnd;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.selectionStart = field.selectionEnd = start + text.length;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("#composer-emoji")) {
      emojiOpen($("emoji-panel").hidden);
      return;
    }
    var option = event.target.closest(".emoji-option");
    if (option) {
      insertAtCaret(option.dataset.emoji);
      emojiOpen(false);
      $("composer-input").focus();
      return;
    }
    var panel = $("emoji-panel");
    if (panel && !panel.hidden && !event.target.closest("#emoji-panel")) emojiOpen(false);
  });

  document.addEventListener("input", function (event) {
    if (event.target.id === "emoji-search") renderEmoji(event.target.value);
    if (event.target.id === "composer-input") updateFate();
  });

  document.addEventListener("keydown", function (event) {
    var panel = $("emoji-panel");
    if (!panel || panel.hidden || !event.target.closest("#emoji-panel")) return;
    if (event.key === "Escape") {
      event.preventDefault();
      emojiOpen(false);
      $("composer-emoji").focus();
      return;
    }
    var options = Array.prototype.slice.call(panel.querySelectorAll(".emoji-option"));
    if (!options.length) return;
    if (event.target.id === "emoji-search") {
      if (event.key === "ArrowDown" || event.key === "Enter") {
        event.preventDefault();
        if (event.key === "Enter") { options[0].click(); } else { options[0].focus(); }
      }
      return;
    }
    var index = options.indexOf(event.target);
    if (index === -1) return;
    var columns = Math.max(1, Math.round(panel.querySelector(".emoji-grid").clientWidth / options[0].offsetWidth));
    var next = { ArrowRight: index + 1, ArrowLeft: index - 1, ArrowDown: index + columns, ArrowUp: index - columns, Home: 0, End: options.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    if (event.key === "ArrowUp" && index < columns) { $("emoji-search").focus(); return; }
    next = Math.max(0, Math.min(options.length - 1, next));
    options[index].tabIndex = -1;
    options[next].tabIndex = 0;
    options[next].focus();
  });

  // ------------------------------------------------------------------ the attachment
  var thumbUrl = null;
  var audioUrl = null;
  var nextIsVoice = false;  // the file being attached now is the recording just made

  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(0) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function attachFile(file, voice) {
    var attach = $("composer-attach");
    var transfer = new DataTransfer();
    transfer.items.add(file);
    attach.files = transfer.files;
    nextIsVoice = !!voice;
    attach.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function showPreview() {
    var attach = $("composer-attach");
    var preview = $("composer-preview");
    if (!attach || !preview) return;
    var file = attach.files && attach.files[0];
    var voice = !!file && nextIsVoice;
    nextIsVoice = false;
    $("composer-voice-note").value = voice ? "1" : "";
    if (thumbUrl) { URL.revokeObjectURL(thumbUrl); thumbUrl = null; }
    if (audioUrl) { URL.revokeObjectURL(audioUrl); audioUrl = null; }
    var thumb = $("composer-thumb");
    var audio = $("composer-audio");
    thumb.hidden = true; thumb.removeAttribute("src");
    audio.hidden = true; audio.removeAttribute("src");
    preview.hidden = !file;
    if (!file) { updateFate(); return; }
    if (file.type.indexOf("image/") === 0) {
      thumbUrl = URL.createObjectURL(file);
      thumb.src = thumbUrl;
      thumb.hidden = false;
    } else if (voice) {
      audioUrl = URL.createObjectURL(file);
      audio.src = audioUrl;
      audio.hidden = false;
    }
    $("composer-preview-name").textContent = file.name;
    $("composer-preview-size").textContent = sizeText(file.size);
    updateFate();
  }

  // How the recording will arrive, said before sending; a recording the channel cannot take,
  // or one with text typed beside it, keeps the form from being sent.
  function updateFate() {
    var note = $("composer-voice-fate");
    var composer = form();
    if (!note || !composer) return;
    var attach = $("composer-attach");
    var file = attach.files && attach.files[0];
    var blocked = false;
    var noteMode = $("composer-note") && $("composer-note").checked;
    if (file && noteMode) {  // notes are text only: the file would be lost
      note.textContent = note.dataset.note;
      note.classList.add("error");
      note.hidden = false;
      blocked = true;
    } else if (!file || $("composer-voice-note").value !== "1") {
      note.hidden = true;
    } else {
      var recorded = file.type.split(";")[0];
      // WebM recordings are rewrapped as Ogg/Opus by the server (same sound, no re-encoding).
      var sent = recorded === "audio/webm" ? "audio/ogg" : recorded;
      var voiceTypes = (composer.dataset.voiceTypes || "").split(" ");
      var audioTypes = (composer.dataset.audioTypes || "").split(" ");
      var text;
      if ($("composer-input").value.trim()) {
        text = note.dataset.withText; blocked = true;
      } else if (voiceTypes.indexOf(sent) !== -1) {
        text = note.dataset.asVoice;
      } else if (audioTypes.indexOf(sent) !== -1) {
        text = note.dataset.asFile;
      } else {
        text = note.dataset.refused.replace("{format}", recorded); blocked = true;
      }
      note.textContent = text;
      note.classList.toggle("error", blocked);
      note.hidden = false;
    }
    composer.dataset.blocked = blocked ? "1" : "";
    $("composer-send").disabled = blocked;
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "composer-attach") showPreview();
    if (event.target.id === "composer-note") updateFate();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("#composer-remove")) {
      var attach = $("composer-attach");
      attach.value = "";
      attach.dispatchEvent(new Event("change", { bubbles: true }));
      $("composer-input").focus();
    }
  });
  // Enter sends through htmx without the button: a blocked composer stays unsent.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var composer = form();
    if (composer && event.detail.elt === composer && composer.dataset.blocked === "1") event.preventDefault();
  });

  // A picture pasted into the message box becomes the attachment.
  document.addEventListener("paste", function (event) {
    if (event.target.id !== "composer-input" || !event.clipboardData) return;
    var files = Array.prototype.slice.call(event.clipboardData.files || []);
    var image = files.filter(function (f) { return f.type.indexOf("image/") === 0; })[0];
    if (!image) return;  // text pastes as usual
    event.preventDefault();
    var extension = (image.type.split("/")[1] || "png").replace("jpeg", "jpg");
    var stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "");
    var base = $("composer-error").dataset.pastedName || "pasted-image";
    attachFile(new File([image], base + "-" + stamp + "." + extension, { type: image.type }), false);
  });

  // ------------------------------------------------------------------ voice notes
  var MAX_SECONDS = 300;
  var recording = null;  // {recorder, stream, chunks, started, timer, keep}

  function recorderType() {
    var types = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/mp4"];
    for (var i = 0; i < types.length; i++) {
      if (window.MediaRecorder.isTypeSupported(types[i])) return types[i];
    }
    return "";
  }

  function canRecord() {
    return !!(window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && recorderType());
  }

  function recordingShown(on) {
    $("composer-record").hidden = on || !canRecord();
    $("composer-recording").hidden = !on;
  }

  function showError(text) {
    var box = $("composer-error");
    box.textContent = text;
    box.hidden = !text;
  }

  function tick() {
    if (!recording) return;
    var seconds = Math.floor((Date.now() - recording.started) / 1000);
    var clock = $("composer-recording-time");
    if (clock) clock.textContent = Math.floor(seconds / 60) + ":" + ("0" + (seconds % 60)).slice(-2);
    if (seconds >= MAX_SECONDS) stopRecording(true);
  }

  function startRecording() {
    showError("");
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var type = recorderType();
      // 32 kbit/s Opus: clear speech, and two minutes stay under the 512 KB up to which
      // WhatsApp shows a voice message with its play button.
      var recorder = new MediaRecorder(stream, { mimeType: type, audioBitsPerSecond: 32000 });
      recording = { recorder: recorder, stream: stream, chunks: [], started: Date.now(), keep: true, type: type };
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) recording.chunks.push(e.data); };
      recorder.onstop = function () {
        var done = recording;
        recording = null;
        clearInterval(done.timer);
        done.stream.getTracks().forEach(function (track) { track.stop(); });
        if ($("composer-recording")) recordingShown(false);
        if (!done.keep || !done.chunks.length || !$("composer-attach")) return;
        var base = done.type.split(";")[0];
        var extension = { "audio/ogg": "ogg", "audio/webm": "webm", "audio/mp4": "m4a" }[base] || "audio";
        var file = new File(done.chunks, "voice-note." + extension, { type: base });
        attachFile(file, true);
        $("composer-send").focus();
      };
      recorder.start(250);
      recording.timer = setInterval(tick, 500);
      recordingShown(true);
      $("composer-record-stop").focus();
    }, function () {
      showError($("composer-error").dataset.microphoneDenied);
    });
  }

  function stopRecording(keep) {
    if (!recording) return;
    recording.keep = keep;
    recording.recorder.stop();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("#composer-record")) { startRecording(); return; }
    if (event.target.closest("#composer-record-stop")) { stopRecording(true); return; }
    if (event.target.closest("#composer-record-cancel")) { stopRecording(false); $("composer-record").focus(); }
  });

  // The recorder appears only where it works; a panel swapped in brings a fresh composer.
  function setUp() {
    if ($("composer-record")) recordingShown(!!recording);
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && (target.id === "ticket-panel" || target.classList.contains("ticket-panel"))) {
      stopRecording(false);
      setUp();
    }
  });
  document.addEventListener("DOMContentLoaded", setUp);
  setUp();
})();
