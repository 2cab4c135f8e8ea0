// Agents' page: suggestions while typing (debounced, stale answers dropped), one click sends the chosen code.
// Plain DOM, no dependency; text is always inserted with textContent (never as HTML).
"use strict";

(function () {
  const DEBOUNCE_MS = 300;
  const MIN_CHARS = 3;
  const $ = (id) => document.getElementById(id);
  const note = $("note");
  const callId = $("call-id");
  const site = $("site");
  const list = $("suggestions");
  const state = $("suggestions-state");
  const feedbackState = $("feedback-state");
  const selfService = $("self-service");
  const otherReason = $("other-reason");

  // With users configured, the page runs in a login session: its CSRF token (cookie motifs_csrf, which only this
  // site's pages can read) goes with every POST, so that no other site can post in the agent's name.
  function jsonHeaders() {
    const headers = { "content-type": "application/json" };
    const match = document.cookie.match(/(?:^|;\s*)motifs_csrf=([^;]+)/);
    if (match) headers["x-csrf-token"] = decodeURIComponent(match[1]);
    return headers;
  }

  let timer = null;
  let controller = null;
  let sequence = 0;
  let shownCodes = [];

  function newCallId() {
    const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
    const random = Math.random().toString(36).slice(2, 8);
    return `web-${stamp}-${random}`;
  }

  function siteValue() {
    const value = site.value.trim();
    return value && site.checkValidity() ? value : null;
  }

  function setState(message, kind) {
    state.textContent = message;
    state.className = "state" + (kind ? " " + kind : "");
  }

  function setFeedback(message, isError) {
    feedbackState.textContent = message;
    feedbackState.className = "feedback" + (isError ? " error" : "");
  }

  function errorMessage(status, body) {
    if (body && typeof body.detail === "string") return body.detail;
    if (body && Array.isArray(body.detail) && body.detail.length) return body.detail[0].msg;
    return `erreur ${status}`;
  }

  function shownChoices(answer) {
    // « À confirmer » : the prediction set (it holds the right reason 9 times out of 10), with the
    // probabilities the model gave; otherwise the top suggestions (for « hors base », the closest reasons).
    if (answer.decision !== "to_confirm" || !answer.prediction_set.length) return answer.suggestions;
    const known = new Map(answer.suggestions.map((s) => [s.code, s.confidence]));
    return answer.prediction_set.map((r) => ({ code: r.code, label: r.label, confidence: known.get(r.code) }));
  }

  function renderSuggestions(answer) {
    list.replaceChildren();
    const choices = shownChoices(answer);
    shownCodes = choices.map((s) => s.code);
    for (const suggestion of choices) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "suggestion";
      button.dataset.code = suggestion.code;
      button.setAttribute("aria-pressed", "false");
      const text = document.createElement("span");
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = suggestion.label;
      const code = document.createElement("span");
      code.className = "code";
      code.textContent = suggestion.code;
      text.append(label, code);
      const confidence = document.createElement("span");
      confidence.className = "confidence";
      confidence.textContent =
        suggestion.confidence === undefined ? "" : `${Math.round(suggestion.confidence * 100)} %`;
      button.append(text, confidence);
      button.setAttribute(
        "aria-label",
        confidence.textContent ? `${suggestion.label}, confiance ${confidence.textContent}` : suggestion.label,
      );
      button.addEventListener("click", () => choose(suggestion.code, suggestion.label, button));
      item.append(button);
      list.append(item);
    }
    if (answer.degraded) {
      setState("Suggestions indisponibles pour le moment : qualifiez l'appel avec la liste ci-dessous.", "warn");
    } else if (answer.decision === "autre") {
      setState(
        "Hors base : cet appel ne ressemble à aucun motif de la base. Motifs les plus proches ci-dessous ; " +
          "sinon, retenez « autre ».",
        "warn",
      );
    } else if (answer.decision === "to_confirm") {
      setState(`À confirmer : le bon motif est très probablement parmi ces ${choices.length}. Choisissez-le.`, "warn");
    } else {
      setState(`Motif sûr : ${choices.length} motif(s) suggéré(s), le premier en tête.`);
    }
    const hint = answer.self_service;
    selfService.hidden = !hint;
    if (hint) {
      $("self-service-hint").textContent = hint.hint;
      const link = $("self-service-link");
      link.hidden = !hint.url;
      if (hint.url) link.href = hint.url;
    }
  }

  async function suggest() {
    const text = note.value;
    if (text.trim().length < MIN_CHARS) {
      list.replaceChildren();
      selfService.hidden = true;
      setState("Commencez à rédiger la note pour voir des suggestions.");
      return;
    }
    if (controller) controller.abort();
    controller = new AbortController();
    const mine = ++sequence;
    const body = { text: text, k: 3 };
    if (callId.checkValidity() && callId.value) body.call_id = callId.value;
    const chosenSite = siteValue();
    if (chosenSite) body.site = chosenSite;
    setState("Recherche de motifs…");
    try {
      const response = await fetch("/v1/suggestions", {
        method: "POST",
        headers: jsonHeaders(),
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      const answer = await response.json().catch(() => null);
      if (mine !== sequence) return; // a newer request is on its way
      if (!response.ok) {
        setState(`Suggestions impossibles : ${errorMessage(response.status, answer)}`, "error");
        return;
      }
      renderSuggestions(answer);
    } catch (error) {
      if (error.name === "AbortError") return;
      if (mine === sequence) setState("Service de suggestion injoignable : qualifiez l'appel avec la liste.", "error");
    }
  }

  async function choose(code, label, button) {
    if (!callId.checkValidity() || !callId.value) {
      setFeedback("Identifiant de l'appel invalide : corrigez-le avant de retenir un motif.", true);
      callId.focus();
      return;
    }
    const body = { call_id: callId.value, suggested_codes: shownCodes, chosen_code: code };
    const chosenSite = siteValue();
    if (chosenSite) body.site = chosenSite;
    try {
      const response = await fetch("/v1/feedback", {
        method: "POST",
        headers: jsonHeaders(),
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => null);
      if (!response.ok) {
        setFeedback(`Motif non enregistré : ${errorMessage(response.status, answer)}`, true);
        return;
      }
      for (const other of list.querySelectorAll("button.suggestion")) other.setAttribute("aria-pressed", "false");
      if (button) button.setAttribute("aria-pressed", "true");
      setFeedback(`Motif enregistré : ${label}.`);
    } catch (error) {
      setFeedback("Motif non enregistré : service injoignable.", true);
    }
  }

  async function loadTaxonomy() {
    const chosenSite = siteValue();
    const query = chosenSite ? `?site=${encodeURIComponent(chosenSite)}` : "";
    try {
      const response = await fetch(`/v1/taxonomy${query}`);
      if (!response.ok) return;
      const taxonomy = await response.json();
      const options = [new Option("— Choisir un motif —", "")];
      for (const reason of taxonomy.reasons) options.push(new Option(`${reason.label} (${reason.code})`, reason.code));
      otherReason.replaceChildren(...options);
    } catch (error) {
      // The list stays as it was; suggestions still work.
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(suggest, DEBOUNCE_MS);
  }

  function startCall() {
    callId.value = newCallId();
    note.value = "";
    list.replaceChildren();
    shownCodes = [];
    selfService.hidden = true;
    setFeedback("");
    setState("Commencez à rédiger la note pour voir des suggestions.");
    note.focus();
  }

  note.addEventListener("input", schedule);
  site.addEventListener("change", () => {
    loadTaxonomy();
    schedule();
  });
  $("new-call").addEventListener("click", startCall);
  $("other-submit").addEventListener("click", () => {
    const option = otherReason.selectedOptions[0];
    if (!option || !option.value) {
      setFeedback("Choisissez d'abord un motif dans la liste.", true);
      otherReason.focus();
      return;
    }
    choose(option.value, option.textContent, null);
  });

  const params = new URLSearchParams(window.location.search);
  if (params.get("site")) site.value = params.get("site");
  callId.value = params.get("call_id") || newCallId();
  loadTaxonomy();
})();
