// Shadow traffic: a copy of a request sent to the mirror variant on the same worker, its
// response read to the end (so the connection can be pooled) and discarded. Runs as its
// own coroutine after the primary exchange, so it never delays the primary response; at
// most ServerOptions::mirror_max_in_flight run at once per worker, the rest are dropped
// and counted.
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/session.h"

namespace graft::proxy {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kMirrorBufferBytes = 16 * 1024;

class MirrorRequest : public Timed, public std::enable_shared_from_this<MirrorRequest> {
 public:
  MirrorRequest(Worker& worker, std::string variant, std::string request)
      : worker_(worker),
        variant_(std::move(variant)),
        request_(std::move(request)),
        socket_(worker.io),
        buffer_(kMirrorBufferBytes) {
    ++worker_.mirrors_in_flight;
    worker_.add(this);
  }
  ~MirrorRequest() override {
    worker_.remove(this);
    --worker_.mirrors_in_flight;
  }

  void on_timeout() override {
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    std::shared_ptr<Upstream> upstream = pick();
    if (upstream == nullptr) co_return;
    std::size_t overruns = 0;
    bool reused = worker_.pool.take(*upstream, &socket_, &overruns);
    worker_.note_overruns(*upstream, overruns);
    if (!reused && !co_await connect(*upstream)) co_return;
    if (!co_await send() && reused) {
      socket_ = tcp::socket(worker_.io);  // a stale pooled connection: one fresh try
      if (!co_await connect(*upstream) || !co_await send()) co_return;
    }
    bool overrun = false;
    bool reusable = co_await drain_response(&overrun);
    if (overrun) worker_.note_overruns(*upstream, 1);
    if (reusable) worker_.pool.give_back(*upstream, std::move(socket_));
  }

 private:
  std::shared_ptr<Upstream> pick() {
    const auto* list = worker_.upstreams().of(variant_);
    if (list == nullptr || list->empty()) return nullptr;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::shared_ptr<Upstream>& candidate = (*list)[(worker_.round_robin++) % list->size()];
      if (candidate->healthy.load(std::memory_order_relaxed)) return candidate;
    }
    return nullptr;
  }

  asio::awaitable<bool> connect(const Upstream& upstream) {
    deadline = coarse_now() + worker_.state.options.config.timeouts.connect;
    boost::system::error_code error;
    co_await socket_.async_connect(upstream.endpoint,
                                   asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return false;
    // The connection may go back to the pool and serve primary requests: same options as
    // Session::connect.
    socket_.set_option(tcp::no_delay(true), error);
    socket_.non_blocking(true, error);
    co_return true;
  }

  asio::awaitable<bool> send() {
    deadline = coarse_now() + worker_.state.options.config.timeouts.read;
    boost::system::error_code error;
    std::string_view first = request_;
    std::string_view second;
    if (!write_now(socket_, &first, &second, &error))
      error = co_await write_rest(socket_, first, {});
    co_return !error;
  }

  // Reads and discards the response; true when the connection can be reused. *overrun:
  // bytes came past the end of the response (the connection is not reused).
  asio::awaitable<bool> drain_response(bool* overrun) {
    ResponseHead response;
    std::size_t scan = 0;
    ParseStatus status = ParseStatus::kNeedMore;
    while (status == ParseStatus::kNeedMore) {
      if (!co_await read_more()) co_return false;
      status = parse_response(buffer_.unread(), kMirrorBufferBytes, &scan, &response);
    }
    if (status != ParseStatus::kComplete) co_return false;
    std::string_view method = std::string_view(request_).substr(0, request_.find(' '));
    buffer_.consume(response.head_bytes);
    if (response_has_no_body(method, response.status)) {
      *overrun = !buffer_.empty();
      co_return response.keep_alive() && !*overrun;
    }
    if (!response.chunked && !response.content_length) co_return false;  // until close
    ChunkedFramer framer;
    std::uint64_t remaining = response.content_length.value_or(0);
    while (true) {
      std::string_view available = buffer_.unread();
      if (response.chunked) {
        buffer_.consume(framer.consume(available));
        if (framer.state() == ChunkedFramer::State::kError) co_return false;
        if (framer.state() == ChunkedFramer::State::kDone) break;
      } else {
        std::size_t take = std::min<std::uint64_t>(remaining, available.size());
        buffer_.consume(take);
        remaining -= take;
        if (remaining == 0) break;
      }
      if (!co_await read_more()) co_return false;
    }
    *overrun = !buffer_.empty();
    co_return response.keep_alive() && !*overrun;
  }

  asio::awaitable<bool> read_more() {
    deadline = coarse_now() + worker_.state.options.config.timeouts.read;
    auto [data, size] = buffer_.space();
    if (size == 0) co_return false;
    boost::system::error_code error;
    std::size_t read = co_await socket_.async_read_some(
        asio::buffer(data, size), asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return false;
    buffer_.commit(read);
    co_return true;
  }

  Worker& worker_;
  std::string variant_;
  std::string request_;
  tcp::socket socket_;
  Buffer buffer_;
};

}  // namespace

void spawn_mirror(Worker& worker, std::string variant, std::string request) {
  Server::State& state = worker.state;
  if (worker.mirrors_in_flight >= state.options.mirror_max_in_flight ||
      state.stopping.load(std::memory_order_relaxed)) {
    worker.stats.count(Event::kMirrorDropped);
    return;
  }
  worker.stats.count(Event::kMirrorSent);
  auto mirror = std::make_shared<MirrorRequest>(worker, std::move(variant), std::move(request));
  asio::co_spawn(
      worker.io, [mirror]() { return mirror->run(); }, asio::detached);
}

}  // namespace graft::proxy
