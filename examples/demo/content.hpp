#ifndef SERVERPUSH_DEMO_CONTENT_HPP
#define SERVERPUSH_DEMO_CONTENT_HPP

// The HTML the demo serves.

#include <string>
#include <string_view>

namespace demo {

inline constexpr int page_count = 3;
inline constexpr std::string_view page_titles[page_count] = {"First Page", "Second Page", "Third Page"};

// One of the three classic pushed documents (index 0..2).
inline std::string pushed_page(int index) {
  const std::string title(page_titles[index]);
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title +
         "</title></head>\n<body><h1>" + title + "</h1>\n<p>Page " + std::to_string(index + 1) +
         " of 3, pushed by the server in one multipart/x-mixed-replace response.</p>\n"
         "</body></html>\n";
}

// The same page for client pull: it asks the browser to load the next one.
inline std::string pulled_page(int index, std::string_view refresh) {
  const std::string title(page_titles[index]);
  std::string meta;
  if (!refresh.empty()) {
    meta = "<meta http-equiv=\"refresh\" content=\"" + std::string(refresh) + "\">";
  }
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">" + meta + "<title>" + title +
         "</title></head>\n<body><h1>" + title + "</h1>\n<p>Page " + std::to_string(index + 1) +
         " of 3, loaded by client pull (the page refreshes itself).</p>\n</body></html>\n";
}

// `framing_query` is empty or a validated "?framing=..." for the <img>.
inline std::string index_page(std::string_view framing_query) {
  const std::string q(framing_query);
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>serverpush demo</title></head>\n"
         "<body>\n<h1>serverpush demo</h1>\n"
         "<p><img id=\"live\" src=\"/stream.mjpg" + q + "\" alt=\"live MJPEG stream\"></p>\n"
         "<ul>\n"
         "<li><a href=\"/pages\">/pages</a>: three HTML documents pushed in one response "
         "(Firefox; Chromium-based browsers no longer render pushed documents)</li>\n"
         "<li><a href=\"/pull\">/pull</a>: the same three pages by client pull (every browser)</li>\n"
         "<li><a href=\"/stream.mjpg\">/stream.mjpg</a>: the live MJPEG stream; framing "
         "<a href=\"/?framing=content_length\">content_length</a>, "
         "<a href=\"/?framing=eager\">eager</a>, "
         "<a href=\"/?framing=announce\">announce</a></li>\n"
         "<li><a href=\"/wall?n=24\">/wall?n=24</a>: 24 live streams on one page (over HTTP/1.1 "
         "browsers open at most 6 connections per host; put an HTTP/2 proxy in front to see all)</li>\n"
         "<li><a href=\"/snapshot.jpg\">/snapshot.jpg</a>: the newest frame as a plain image</li>\n"
         "</ul>\n</body></html>\n";
}

inline constexpr int wall_default = 24;
inline constexpr int wall_max = 64;

// N live streams in a grid. Each <img> has its own URL (?v=K) so a browser
// opens one request per image instead of sharing one. `framing_param` is
// empty or a validated "&framing=...".
inline std::string wall_page(int n, std::string_view framing_param) {
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>serverpush wall: " +
      std::to_string(n) +
      " streams</title>\n<style>body{margin:0;background:#111}"
      "main{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:4px;padding:4px}"
      "img{width:100%;height:auto;display:block}</style></head>\n<body><main>\n";
  for (int k = 0; k < n; ++k) {
    const std::string v = std::to_string(k);
    out += "<img id=\"s" + v + "\" src=\"/stream.mjpg?v=" + v + std::string(framing_param) +
           "\" width=\"320\" height=\"240\" alt=\"stream " + v + "\">\n";
  }
  out += "</main></body></html>\n";
  return out;
}

}  // namespace demo

#endif
