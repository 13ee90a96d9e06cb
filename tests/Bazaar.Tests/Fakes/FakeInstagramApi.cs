using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Bazaar.Tests.Fakes;

/// <summary>
/// Instagram's web endpoints the live check reads, on 127.0.0.1 with their real JSON:
/// <c>GET /api/v1/users/web_profile_info/?username=</c> (<c>{"data":{"user":{…}},"status":"ok"}</c>, 404 for an unknown name)
/// and <c>GET /graphql/query/?query_hash=…&amp;variables={"id","first","after"}</c> answering
/// <c>data.user.edge_followed_by</c> / <c>edge_follow</c> with <c>count</c>, <c>page_info{has_next_page,end_cursor}</c> and
/// <c>edges[].node</c>, at most 50 a page. Like Instagram it wants the web app's X-IG-App-ID and the session cookie:
/// a missing or expired session gets the logged-out answers (401 <c>require_login</c> from the API, a 302 to
/// /accounts/login/ from GraphQL). A private account the viewer does not follow shows empty lists. Rate limits are
/// scripted (429 with Instagram's "Please wait a few minutes" body, optionally Retry-After).
/// </summary>
public sealed class FakeInstagramApi : IAsyncDisposable
{
    public const string SessionId = "4470551200%3AqZfAkEsEsSiOn%3A17%3AAYdTestOnlyNotARealSession";
    public const string AppId = "936619743392459";
    public const string FollowersHash = "c76146de99bb02f6415203be841dd25a";
    public const string FollowingHash = "d04b0a864b4b54837c0d870b0e77e076";
    private const int MaxPage = 50;

    public sealed class Account
    {
        public required string Id { get; init; }
        public required string Username { get; init; }
        public string FullName { get; init; } = "";
        public bool IsPrivate { get; init; }
        public bool FollowedByViewer { get; init; }
        public List<string> Followers { get; init; } = [];
        public List<string> Following { get; init; } = [];
    }

    /// <summary>One request as it arrived: which list of which user from which cursor, and when on the test's clock.</summary>
    public sealed record Request(string Kind, string? Username, string? UserId, string? After, int? First, string? Cookie, string? AppIdHeader,
        DateTimeOffset At, int Answer);

    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, Account> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Account> _byId = new();
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly ConcurrentQueue<(Func<Request, bool> When, int? RetryAfter)> _rateLimits = new();
    private int _inFlight, _maxInFlight;
    private long _nextId = 5_000_000_000;

    public string BaseUrl { get; }
    public IReadOnlyList<Request> Requests => _requests.ToArray();
    /// <summary>The most requests that were being answered at the same moment.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    /// <summary>While true, the session counts as logged out.</summary>
    public volatile bool SessionExpired;
    /// <summary>While true, the session is logged out for the GraphQL lists only (it expires in the middle of a check).</summary>
    public volatile bool ListsLoggedOut;
    /// <summary>While true, every request is rate-limited.</summary>
    public volatile bool AlwaysRateLimited;
    /// <summary>While true, a list page says there is more but hands back the cursor it was asked with.</summary>
    public volatile bool StuckCursor;
    /// <summary>How long each answer takes (real time), so overlapping checks would show.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(5);

    private FakeInstagramApi(WebApplication app, string baseUrl, TimeProvider clock) { _app = app; BaseUrl = baseUrl; _clock = clock; }

    public static async Task<FakeInstagramApi> StartAsync(TimeProvider clock)
    {
        FakeInstagramApi? fake = null;
        var (app, url) = await FakeHttpServer.StartAsync(a =>
        {
            a.MapGet("/api/v1/users/web_profile_info/", (Delegate)((HttpContext ctx) => fake!.Handle(ctx, "profile")));
            a.MapGet("/graphql/query/", (Delegate)((HttpContext ctx) => fake!.Handle(ctx, "graphql")));
        });
        fake = new FakeInstagramApi(app, url, clock);
        return fake;
    }

    /// <summary>An account whose followers and following are made-up usernames.</summary>
    public Account Add(string username, IEnumerable<string> followers, IEnumerable<string> following, bool isPrivate = false,
        bool followedByViewer = false, string? fullName = null)
    {
        var a = new Account
        {
            Id = Interlocked.Increment(ref _nextId).ToString(), Username = username, FullName = fullName ?? "", IsPrivate = isPrivate,
            FollowedByViewer = followedByViewer, Followers = followers.ToList(), Following = following.ToList(),
        };
        _byName[username] = a;
        _byId[a.Id] = a;
        return a;
    }

    /// <summary>The next <paramref name="times"/> requests matching <paramref name="when"/> get a 429.</summary>
    public void RateLimitNext(int times, Func<Request, bool> when, int? retryAfterSeconds = null)
    {
        for (var i = 0; i < times; i++) _rateLimits.Enqueue((when, i == 0 ? retryAfterSeconds : null));
    }

    /// <summary>The end_cursor Instagram-style (opaque base64) for a list position.</summary>
    public static string CursorFor(int offset) => "QVFE" + Convert.ToBase64String(Encoding.UTF8.GetBytes($"fake-cursor:{offset}")).TrimEnd('=');

    private static int? OffsetOf(string? cursor)
    {
        if (cursor is null) return 0;
        if (!cursor.StartsWith("QVFE", StringComparison.Ordinal)) return null;
        try
        {
            var b64 = cursor[4..];
            b64 += new string('=', (4 - b64.Length % 4) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(b64));
            return text.StartsWith("fake-cursor:", StringComparison.Ordinal) && int.TryParse(text[12..], out var n) ? n : null;
        }
        catch (FormatException) { return null; }
    }

    private static readonly string PleaseWait = """{"message":"Please wait a few minutes before you try again.","require_login":false,"status":"fail"}""";

    private async Task<IResult> Handle(HttpContext ctx, string kind)
    {
        var n = Interlocked.Increment(ref _inFlight);
        int seen;
        while ((seen = Volatile.Read(ref _maxInFlight)) < n && Interlocked.CompareExchange(ref _maxInFlight, n, seen) != seen) { }
        try
        {
            await Task.Delay(Latency);
            var q = ctx.Request.Query;
            string? userId = null, after = null, hash = null;
            int? first = null;
            if (kind == "graphql")
            {
                hash = q["query_hash"];
                try
                {
                    var v = JsonNode.Parse(q["variables"].ToString())!.AsObject();
                    userId = v["id"]?.GetValue<string>();
                    after = v["after"]?.GetValue<string>();
                    first = v["first"]?.GetValue<int>();
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
                {
                    return Record(kind, null, null, null, null, ctx, 400,
                        Results.Content("""{"message":"Invalid variables","status":"fail"}""", "application/json", statusCode: 400));
                }
                kind = hash == FollowersHash ? "followers" : hash == FollowingHash ? "following" : "graphql";
            }
            var username = kind == "profile" ? q["username"].ToString() : null;
            var request = new Request(kind, username, userId, after, first, ctx.Request.Headers.Cookie.ToString(),
                ctx.Request.Headers["X-IG-App-ID"].ToString(), _clock.GetUtcNow(), 0);

            if (AlwaysRateLimited) return Record(request, 429, RateLimited(ctx, null));
            lock (_rateLimits)
                if (_rateLimits.TryPeek(out var next) && next.When(request) && _rateLimits.TryDequeue(out var taken))
                    return Record(request, 429, RateLimited(ctx, taken.RetryAfter));
            // The web API refuses clients that are not its own web app.
            if (request.AppIdHeader != AppId)
                return Record(request, 400, Results.Content("""{"message":"useragent mismatch","status":"fail"}""", "application/json", statusCode: 400));
            var loggedIn = !SessionExpired && !(ListsLoggedOut && kind != "profile") && request.Cookie is { } c && c.Split(';').Select(p => p.Trim()).Contains($"sessionid={SessionId}");
            if (!loggedIn)
            {
                if (kind == "profile")
                    return Record(request, 401, Results.Content("""{"message":"Please wait a few minutes before you try again.","require_login":true,"status":"fail"}""",
                        "application/json", statusCode: 401));
                ctx.Response.Headers.Location = "https://www.instagram.com/accounts/login/?next=%2Fgraphql%2Fquery%2F";
                return Record(request, 302, Results.StatusCode(302));
            }
            return kind switch
            {
                "profile" => Profile(request),
                "followers" or "following" => List(request, kind),
                _ => Record(request, 400, Results.Content("""{"message":"query_hash not found","status":"fail"}""", "application/json", statusCode: 400)),
            };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static IResult RateLimited(HttpContext ctx, int? retryAfter)
    {
        if (retryAfter is { } s) ctx.Response.Headers.RetryAfter = s.ToString();
        return Results.Content(PleaseWait, "application/json", statusCode: 429);
    }

    private IResult Record(string kind, string? username, string? userId, string? after, int? first, HttpContext ctx, int answer, IResult result) =>
        Record(new Request(kind, username, userId, after, first, ctx.Request.Headers.Cookie.ToString(), ctx.Request.Headers["X-IG-App-ID"].ToString(),
            _clock.GetUtcNow(), 0), answer, result);

    private IResult Record(Request r, int answer, IResult result)
    {
        _requests.Enqueue(r with { Answer = answer });
        return result;
    }

    private IResult Profile(Request r)
    {
        if (r.Username is null || !_byName.TryGetValue(r.Username, out var a))
            return Record(r, 404, Results.Content("", "text/html", statusCode: 404));
        var user = new JsonObject
        {
            ["biography"] = "made up for tests", ["bio_links"] = new JsonArray(), ["external_url"] = null,
            ["edge_followed_by"] = new JsonObject { ["count"] = a.Followers.Count },
            ["edge_follow"] = new JsonObject { ["count"] = a.Following.Count },
            ["followed_by_viewer"] = a.FollowedByViewer, ["follows_viewer"] = false, ["requested_by_viewer"] = false,
            ["blocked_by_viewer"] = false, ["has_blocked_viewer"] = false, ["restricted_by_viewer"] = false,
            ["full_name"] = a.FullName, ["id"] = a.Id, ["fbid"] = "1784" + a.Id, ["is_business_account"] = false,
            ["is_private"] = a.IsPrivate, ["is_verified"] = false,
            ["profile_pic_url"] = $"https://scontent.cdninstagram.com/v/t51.2885-19/{a.Id}_n.jpg", ["username"] = a.Username,
            ["edge_owner_to_timeline_media"] = new JsonObject { ["count"] = 0, ["page_info"] = new JsonObject { ["has_next_page"] = false, ["end_cursor"] = null }, ["edges"] = new JsonArray() },
        };
        return Record(r, 200, Json(new JsonObject { ["data"] = new JsonObject { ["user"] = user }, ["status"] = "ok" }));
    }

    private IResult List(Request r, string kind)
    {
        if (r.UserId is null || !_byId.TryGetValue(r.UserId, out var a))
            return Record(r, 200, Json(new JsonObject { ["data"] = new JsonObject { ["user"] = null }, ["status"] = "ok" }));
        var all = kind == "followers" ? a.Followers : a.Following;
        var edgeName = kind == "followers" ? "edge_followed_by" : "edge_follow";
        var offset = OffsetOf(r.After);
        if (offset is null)
            return Record(r, 400, Results.Content("""{"message":"Invalid cursor","status":"fail"}""", "application/json", statusCode: 400));
        var visible = a.IsPrivate && !a.FollowedByViewer ? [] : all;
        var size = Math.Clamp(r.First ?? 12, 1, MaxPage);
        var page = visible.Skip(offset.Value).Take(size).ToList();
        var end = offset.Value + page.Count;
        var hasNext = end < visible.Count;
        var edges = new JsonArray(page.Select(u => (JsonNode)new JsonObject
        {
            ["node"] = new JsonObject
            {
                ["id"] = (Math.Abs(u.GetHashCode()) + 1_000_000L).ToString(), ["username"] = u, ["full_name"] = FullNameOf(u),
                ["profile_pic_url"] = $"https://scontent.cdninstagram.com/v/t51.2885-19/{u}_n.jpg", ["is_private"] = false,
                ["is_verified"] = false, ["followed_by_viewer"] = false, ["follows_viewer"] = false, ["requested_by_viewer"] = false,
            },
        }).ToArray());
        var cursor = hasNext ? (StuckCursor && r.After is not null ? r.After : CursorFor(end)) : null;
        var user = new JsonObject
        {
            [edgeName] = new JsonObject
            {
                ["count"] = all.Count,
                ["page_info"] = new JsonObject { ["has_next_page"] = hasNext, ["end_cursor"] = cursor },
                ["edges"] = edges,
            },
        };
        return Record(r, 200, Json(new JsonObject { ["data"] = new JsonObject { ["user"] = user }, ["extensions"] = new JsonObject { ["is_final"] = true }, ["status"] = "ok" }));
    }

    /// <summary>The made-up display name every account gets: its username in title case, plus a letter beyond ASCII.</summary>
    public static string FullNameOf(string username) => "Ünï " + char.ToUpperInvariant(username[0]) + username[1..];

    private static IResult Json(JsonObject o) => Results.Content(o.ToJsonString(), "application/json; charset=utf-8");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
