// The tutorial's chat room on uWebSockets for `passerelle bench broadcast`, doing the work that
// node_ws_room.js and Passerelle's room do: parse {"action":"ctrl/chat/out","msg":…} (msg a JSON
// string, as the tutorial's page sends it, or an object), HTML-escape `from` and `message`,
// serialise {"action":"ws/chat/in","msg":{"from":…,"message":…}} once and publish it to every
// member, sender included (a uWS topic: framed once, and compressed once with `shared`).
//   uws_room PORT [off|shared|dedicated]      prints "uws listening on PORT"
// Built by scripts/bench beside uWebSockets' own uws_server (bench/servers/build-uws).
#include "App.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Field {
    std::string key;
    bool isString = false;
    std::string text;      // the decoded string, or the raw JSON of any other value
};

struct Parser {
    std::string_view s;
    size_t i = 0;

    void space() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    }

    static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    bool code(unsigned &value) {
        if (i + 4 > s.size()) return false;
        value = 0;
        for (int k = 0; k < 4; k++) {
            int h = hex(s[i++]);
            if (h < 0) return false;
            value = value << 4 | unsigned(h);
        }
        return true;
    }

    static void utf8(std::string &out, unsigned c) {
        if (c < 0x80) out += char(c);
        else if (c < 0x800) { out += char(0xC0 | c >> 6); out += char(0x80 | (c & 0x3F)); }
        else if (c < 0x10000) { out += char(0xE0 | c >> 12); out += char(0x80 | (c >> 6 & 0x3F)); out += char(0x80 | (c & 0x3F)); }
        else { out += char(0xF0 | c >> 18); out += char(0x80 | (c >> 12 & 0x3F)); out += char(0x80 | (c >> 6 & 0x3F)); out += char(0x80 | (c & 0x3F)); }
    }

    // RFC 8259 §7: a string, its escapes decoded (\uXXXX pairs to one code point).
    bool string(std::string &out) {
        if (i >= s.size() || s[i] != '"') return false;
        i++;
        while (i < s.size()) {
            char c = s[i++];
            if (c == '"') return true;
            if (c != '\\') { out += c; continue; }
            if (i >= s.size()) return false;
            switch (s[i++]) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned c1;
                if (!code(c1)) return false;
                if (c1 >= 0xD800 && c1 < 0xDC00 && i + 6 <= s.size() && s[i] == '\\' && s[i + 1] == 'u') {
                    i += 2;
                    unsigned c2;
                    if (!code(c2)) return false;
                    c1 = 0x10000 + ((c1 - 0xD800) << 10) + (c2 - 0xDC00);
                }
                utf8(out, c1);
                break;
            }
            default: return false;
            }
        }
        return false;
    }

    // Any value, passed over.
    bool skip() {
        space();
        if (i >= s.size()) return false;
        if (s[i] == '"') { std::string ignored; return string(ignored); }
        if (s[i] == '{' || s[i] == '[') {
            char close = s[i] == '{' ? '}' : ']';
            i++;
            space();
            if (i < s.size() && s[i] == close) { i++; return true; }
            while (true) {
                if (close == '}') {
                    space();
                    std::string key;
                    if (!string(key)) return false;
                    space();
                    if (i >= s.size() || s[i++] != ':') return false;
                }
                if (!skip()) return false;
                space();
                if (i >= s.size()) return false;
                if (s[i] == ',') { i++; continue; }
                if (s[i] == close) { i++; return true; }
                return false;
            }
        }
        size_t start = i;
        while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t') i++;
        return i > start;
    }

    // An object's members: strings decoded, other values kept as their JSON text.
    bool object(std::vector<Field> &fields) {
        space();
        if (i >= s.size() || s[i++] != '{') return false;
        space();
        if (i < s.size() && s[i] == '}') { i++; return true; }
        while (true) {
            space();
            Field field;
            if (!string(field.key)) return false;
            space();
            if (i >= s.size() || s[i++] != ':') return false;
            space();
            if (i < s.size() && s[i] == '"') {
                field.isString = true;
                if (!string(field.text)) return false;
            } else {
                size_t start = i;
                if (!skip()) return false;
                field.text = std::string(s.substr(start, i - start));
            }
            fields.push_back(std::move(field));
            space();
            if (i >= s.size()) return false;
            if (s[i] == ',') { i++; continue; }
            if (s[i] == '}') { i++; break; }
            return false;
        }
        space();
        return i == s.size();
    }
};

const Field *find(const std::vector<Field> &fields, const char *key) {
    for (const Field &f : fields) if (f.key == key) return &f;
    return nullptr;
}

// What node_ws_room.js and Passerelle's tutorial dialect do to `from` and `message`.
void escapeHTML(std::string &out, const std::string &text) {
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
}

// RFC 8259 §7: a JSON string of already HTML-escaped text (no quote left, but backslashes and
// control characters may be).
void jsonString(std::string &out, const std::string &text) {
    out += '"';
    for (unsigned char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20) { char buffer[8]; snprintf(buffer, sizeof buffer, "\\u%04x", c); out += buffer; }
        else out += char(c);
    }
    out += '"';
}

// The line every member gets, or an empty string when the message is not a chat line.
std::string chatLine(std::string_view message) {
    std::vector<Field> outer;
    Parser parser{message};
    if (!parser.object(outer)) return {};
    const Field *action = find(outer, "action");
    const Field *msg = find(outer, "msg");
    if (!action || !action->isString || action->text != "ctrl/chat/out" || !msg) return {};
    std::vector<Field> inner;
    Parser innerParser{msg->text};
    if (!innerParser.object(inner)) return {};
    const Field *from = find(inner, "from");
    const Field *said = find(inner, "message");
    std::string fromText = from ? from->text : "undefined", saidText = said ? said->text : "undefined";
    std::string escapedFrom, escapedSaid;
    escapeHTML(escapedFrom, fromText);
    escapeHTML(escapedSaid, saidText);
    std::string line = "{\"action\":\"ws/chat/in\",\"msg\":{\"from\":";
    jsonString(line, escapedFrom);
    line += ",\"message\":";
    jsonString(line, escapedSaid);
    line += "}}";
    return line;
}

}  // namespace

struct PerSocketData {};

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 9001;
    const char *compression = argc > 2 ? argv[2] : "shared";
    uWS::CompressOptions options = uWS::DISABLED;
    if (!strcmp(compression, "shared")) options = uWS::CompressOptions(uWS::SHARED_COMPRESSOR | uWS::SHARED_DECOMPRESSOR);
    if (!strcmp(compression, "dedicated")) options = uWS::CompressOptions(uWS::DEDICATED_COMPRESSOR | uWS::DEDICATED_DECOMPRESSOR);
    uWS::App app;
    app.ws<PerSocketData>("/*", {
        .compression = options,
        .maxPayloadLength = 16 * 1024 * 1024,
        .idleTimeout = 0,
        .maxBackpressure = 64 * 1024 * 1024,
        .open = [](auto *ws) { ws->subscribe("room"); },
        .message = [&app](auto *ws, std::string_view message, uWS::OpCode op) {
            if (op != uWS::OpCode::TEXT) return;
            std::string line = chatLine(message);
            if (!line.empty()) app.publish("room", line, uWS::OpCode::TEXT, true);
        },
    }).listen("127.0.0.1", port, [port](auto *socket) {
        if (socket) printf("uws listening on %d\n", port); else { printf("listen failed\n"); exit(1); }
        fflush(stdout);
    }).run();
}
