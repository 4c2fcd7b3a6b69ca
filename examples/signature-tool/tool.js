// The signature-check page. A classic script (not a module), so the page also works from file://,
// where browsers refuse module scripts. Everything it computes comes from the SDK's UMD build
// (global ApsaraMqttAuth): explainSignature gives the Password and the bytes behind it.
(function () {
  'use strict';

  var $ = function (id) {
    return document.getElementById(id);
  };
  var sdk = window.ApsaraMqttAuth;
  if (!sdk) {
    $('load-error').hidden = false;
    $('message').hidden = true;
    $('compute').disabled = true;
    return;
  }

  var MODES = {
    signature: { keyId: 'AccessKey ID', secret: 'AccessKey secret', keyIdField: 'accessKeyId', secretField: 'accessKeySecret' },
    device: { keyId: 'DeviceAccessKeyId', secret: 'DeviceAccessKeySecret', keyIdField: 'deviceAccessKeyId', secretField: 'deviceAccessKeySecret' },
  };
  var LABELS = { instanceId: 'Instance ID', clientId: 'Client ID', groupId: 'GroupId', deviceId: 'DeviceId' };

  // The SDK names parts by their code names (accessKeySecret, groupId); the page says what its
  // labels say. Every code name in a message is replaced, wherever it stands.
  var CODE_NAMES = /\b(deviceAccessKeySecret|deviceAccessKeyId|accessKeySecret|accessKeyId|instanceId|clientId|groupId|deviceId)\b/g;
  function labelOf(field, mode) {
    if (field === mode.keyIdField) return mode.keyId;
    if (field === mode.secretField) return mode.secret;
    return LABELS[field] || field;
  }
  function onScreen(message, mode) {
    return message.replace(CODE_NAMES, function (name) {
      return labelOf(name, mode);
    });
  }
  var BACKENDS = {
    webcrypto: 'WebCrypto (crypto.subtle)',
    noble: '@noble/hashes, bundled (this page has no crypto.subtle: browsers hide it on plain-http pages)',
  };

  // Inputs are read exactly as typed (never trimmed): a stray space or newline is a common cause of
  // a wrong Password, and the checks below point it out.
  function inputs() {
    return {
      mode: $('mode').value,
      accessKeyId: $('access-key-id').value,
      secret: $('secret').value,
      instanceId: $('instance-id').value,
      clientId: $('client-id').value,
    };
  }

  function showMode() {
    var mode = MODES[$('mode').value];
    $('key-id-label').textContent = mode.keyId;
    $('secret-label').textContent = mode.secret;
    $('key-name').textContent = mode.secret;
  }

  function say(text) {
    $('message').textContent = text;
    $('message').hidden = !text;
  }

  function text(tag, content, className) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (className) el.className = className;
    return el;
  }

  function renderChecks(explanation, mode) {
    var list = $('checks');
    list.replaceChildren();
    explanation.parts.forEach(function (part) {
      var item = document.createElement('li');
      item.className = part.ok ? 'ok' : 'fail';
      item.dataset.field = part.field;
      // Spaces between the cells keep "problem", the part and its value apart in the text too
      // (copied, read aloud, or shown without the style sheet).
      item.append(
        text('span', part.ok ? 'ok' : 'problem', 'verdict'),
        ' ',
        text('span', labelOf(part.field, mode), 'part'),
        ' ',
        text('code', part.value === undefined ? explanation.key.byteLength + ' bytes' : JSON.stringify(part.value)),
      );
      if (part.problems.length) {
        var problems = document.createElement('ul');
        part.problems.forEach(function (problem) {
          problems.appendChild(text('li', onScreen(problem, mode)));
        });
        item.appendChild(problems);
      }
      list.appendChild(item);
    });
  }

  function render(explanation, mode) {
    $('username').value = explanation.username === undefined ? '' : explanation.username;
    $('username').placeholder = explanation.username === undefined ? 'fill in ' + mode.keyId + ' and Instance ID' : '';
    $('password').value = explanation.hmacBase64;
    $('message-bytes').textContent = String(explanation.message.byteLength);
    $('message-hex').textContent = explanation.message.utf8Hex;
    $('key-bytes').textContent = String(explanation.key.byteLength);
    $('hmac-hex').textContent = explanation.hmacHex;
    $('hmac-base64').textContent = explanation.hmacBase64;
    $('backend').textContent = BACKENDS[explanation.backend] || explanation.backend;
    $('backend').dataset.backend = explanation.backend;
    renderChecks(explanation, mode);
    $('copy-status').textContent = '';
    $('result').hidden = false;
    var broken = explanation.parts.filter(function (p) {
      return !p.ok;
    }).length;
    say(broken ? broken + (broken > 1 ? ' parts break' : ' part breaks') + ' a rule: see Checks. The Password is still computed, for comparison.' : '');
  }

  // Each computation gets a number; a result that arrives after a newer one started is dropped.
  var latest = 0;
  function compute() {
    var values = inputs();
    var mode = MODES[values.mode];
    var run = ++latest;
    if (!values.secret || !values.clientId) {
      $('result').hidden = true;
      var missing = [];
      if (!values.secret) missing.push('the ' + mode.secret);
      if (!values.clientId) missing.push('the ' + LABELS.clientId);
      say('Fill in ' + missing.join(' and ') + '.');
      return Promise.resolve();
    }
    var options = { mode: values.mode, secret: values.secret, clientId: values.clientId };
    if (values.accessKeyId) options.accessKeyId = values.accessKeyId;
    if (values.instanceId) options.instanceId = values.instanceId;
    return sdk.explainSignature(options).then(
      function (explanation) {
        if (run === latest) render(explanation, mode);
      },
      function (error) {
        if (run !== latest) return;
        $('result').hidden = true;
        // The SDK's messages never contain a secret.
        say(onScreen(error && error.message ? error.message : String(error), mode));
      },
    );
  }

  // Clipboard API where the page is a secure context; elsewhere (file://, plain http) the classic
  // select-and-copy, which needs no permission.
  function copy(input) {
    var value = input.value;
    var fallback = function () {
      input.focus();
      input.select();
      var done = document.execCommand('copy');
      input.setSelectionRange(0, 0);
      return done;
    };
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(value).then(
        function () {
          return true;
        },
        function () {
          return fallback();
        },
      );
    }
    return Promise.resolve(fallback());
  }

  $('form').addEventListener('submit', function (event) {
    event.preventDefault();
    compute();
  });
  $('form').addEventListener('input', function () {
    compute();
  });
  $('mode').addEventListener('change', function () {
    showMode();
    compute();
  });
  $('clear').addEventListener('click', function () {
    $('form').reset();
    $('username').value = '';
    $('password').value = '';
    showMode();
    compute();
  });
  $('show-secret').addEventListener('click', function () {
    var shown = $('secret').type === 'text';
    $('secret').type = shown ? 'password' : 'text';
    $('show-secret').textContent = shown ? 'Show' : 'Hide';
    $('show-secret').setAttribute('aria-pressed', String(!shown));
  });
  Array.prototype.forEach.call(document.querySelectorAll('button[data-copy]'), function (button) {
    button.addEventListener('click', function () {
      var name = button.dataset.copy;
      copy($(name)).then(function (done) {
        $('copy-status').textContent = done ? (name === 'username' ? 'Username' : 'Password') + ' copied.' : 'Copying failed: select the text and copy it by hand.';
      });
    });
  });

  showMode();
  compute();
})();
