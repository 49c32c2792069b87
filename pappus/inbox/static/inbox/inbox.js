// Keyboard-driven inbox: j/k next/previous, Enter open, x select, a assign, r reply, c close, ? help.
// The queue remembers the ids it shows, so j/k on a conversation page walk the same list.
document.addEventListener("alpine:init", () => {
  window.Alpine.data("inboxKeys", (page, conversationId) => ({
    page,
    conversationId,
    current: 0,
    help: false,
    remember(element) {
      const ids = (element.dataset.ids || "").split(",").filter(Boolean);
      sessionStorage.setItem("pappus.inbox.queue", JSON.stringify(ids));
      sessionStorage.setItem("pappus.inbox.queueUrl", window.location.pathname + window.location.search);
      this.current = 0;
    },
    rows() {
      return Array.from(document.querySelectorAll("tr[data-row]"));
    },
    typing(event) {
      const target = event.target;
      return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
    },
    neighbour(step) {
      const ids = JSON.parse(sessionStorage.getItem("pappus.inbox.queue") || "[]");
      const index = ids.indexOf(String(this.conversationId));
      const next = ids[index + step];
      if (index >= 0 && next) {
        window.location.href = window.location.pathname.replace(/\/\d+\/$/, `/${next}/`);
      }
    },
    focus(name) {
      const element = this.$refs[name];
      if (element) {
        element.focus();
      }
    },
    key(event) {
      if (event.key === "Escape") {
        this.help = false;
        if (this.typing(event)) event.target.blur();
        return;
      }
      if (this.typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const rows = this.rows();
      switch (event.key) {
        case "?":
          this.help = !this.help;
          break;
        case "j":
          if (this.page === "queue") this.current = Math.min(this.current + 1, rows.length - 1);
          else this.neighbour(1);
          break;
        case "k":
          if (this.page === "queue") this.current = Math.max(this.current - 1, 0);
          else this.neighbour(-1);
          break;
        case "Enter":
        case "o":
          if (this.page === "queue" && rows[this.current]) window.location.href = rows[this.current].dataset.url;
          break;
        case "x": {
          const box = rows[this.current] && rows[this.current].querySelector("input[type=checkbox]");
          if (box) box.checked = !box.checked;
          break;
        }
        case "a":
          if (this.page === "queue") {
            const action = document.querySelector("#bulk-form [name=action]");
            if (action) { action.value = "assign"; action.focus(); }
          } else this.focus("assign");
          break;
        case "r":
          if (this.page === "conversation") this.focus("reply");
          break;
        case "c":
          if (this.page === "queue") {
            const action = document.querySelector("#bulk-form [name=action]");
            if (action) { action.value = "close"; action.focus(); }
          } else this.focus("close");
          break;
        default:
          return;
      }
      event.preventDefault();
      if (this.page === "queue" && rows[this.current]) rows[this.current].scrollIntoView({ block: "nearest" });
    },
  }));
});
