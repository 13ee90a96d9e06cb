using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Checks;

/// <summary>
/// Instagram could not be read this time (a rate limit that outlasted the backoff, a 5xx, a broken answer, the network):
/// the check job retries with backoff, and when the attempts run out the check fails and its credit comes back.
/// </summary>
public sealed class LiveSourceUnavailable(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads an account's followers and following live from Instagram's web endpoints with the operator's session
/// (<c>Checks:Instagram:SessionId</c>), through <c>Checks:Instagram:BaseUrl</c>:
/// <c>GET /api/v1/users/web_profile_info/?username=</c> for the account's id, privacy and counts, then the web GraphQL
/// queries (<c>/graphql/query/?query_hash=…&amp;variables={"id","first","after"}</c>) for <c>edge_followed_by</c> and
/// <c>edge_follow</c>, page by page on <c>page_info.end_cursor</c>. Requests are paced
/// (<c>PageDelaySeconds</c> apart) and a rate limit (429, or Instagram's "Please wait a few minutes") is waited out with
/// a doubling backoff (or the server's Retry-After) before the same page is asked again. What retrying cannot fix ends
/// the check at once with words for the user: a private or unknown account, an account too large, and the session
/// being logged out (the operator must renew it, so it is logged as an error).
/// </summary>
public sealed class LiveFollowSource(IHttpClientFactory http, IOptions<ChecksOptions> options, TimeProvider clock,
    ILogger<LiveFollowSource> log) : IFollowSource
{
    public const string HttpClientName = "instagram";
    /// <summary>The web GraphQL queries Instagram's own site uses for the followers and the following lists.</summary>
    public const string FollowersQueryHash = "c76146de99bb02f6415203be841dd25a";
    public const string FollowingQueryHash = "d04b0a864b4b54837c0d870b0e77e076";

    private DateTimeOffset _nextRequestAt = DateTimeOffset.MinValue;

    public CheckSource Source => CheckSource.Live;

    public async Task<FollowLists> ReadAsync(Check check, CancellationToken ct)
    {
        var o = options.Value.Instagram;
        if (!o.LiveEnabled)
            throw new CheckInputError("live_source_off", "Reading accounts live is not enabled on this bot.", CheckTexts.LiveSourceOff);
        if (string.IsNullOrWhiteSpace(check.Target))
            throw new CheckInputError("target_required", "A live check needs the account's username.", CheckTexts.LiveNoTarget);

        var profile = await ProfileAsync(check.Target, ct);
        // A private account's lists come back empty unless the operator's account follows it: refuse rather than report nonsense.
        if (profile.IsPrivate && !profile.FollowedByViewer)
            throw new CheckInputError("private_account", $"@{check.Target} is a private account; its lists cannot be read.", CheckTexts.LivePrivate);
        if (profile.Followers + profile.Following > o.MaxAccounts)
            throw TooLarge(check.Target, o.MaxAccounts);

        var followers = await ListAsync(profile, FollowersQueryHash, "edge_followed_by", "followers", o.MaxAccounts, ct);
        var following = await ListAsync(profile, FollowingQueryHash, "edge_follow", "following", o.MaxAccounts - followers.Count, ct);
        return new FollowLists(Distinct(followers), Distinct(following));
    }

    private static CheckInputError TooLarge(string target, int max) =>
        new("account_too_large", $"@{target} has more than {max} followers and following together, too many to read live.",
            CheckTexts.LiveTooLarge, max);

    private sealed record Profile(string Id, string Username, bool IsPrivate, bool FollowedByViewer, int Followers, int Following);

    private async Task<Profile> ProfileAsync(string username, CancellationToken ct)
    {
        using var doc = await GetAsync($"/api/v1/users/web_profile_info/?username={Uri.EscapeDataString(username)}", $"/{username}/", ct);
        try
        {
            var user = doc.RootElement.GetProperty("data").GetProperty("user");
            // Instagram answers an unknown name with 404, or with "user": null.
            if (user.ValueKind == JsonValueKind.Null)
                throw new CheckInputError("account_not_found", $"There is no Instagram account @{username}.", CheckTexts.LiveNotFound);
            return new Profile(
                Id: user.GetProperty("id").GetString() ?? throw new LiveSourceUnavailable("The profile has no id."),
                Username: user.TryGetProperty("username", out var u) && u.GetString() is { } s ? s : username,
                IsPrivate: user.TryGetProperty("is_private", out var p) && p.ValueKind == JsonValueKind.True,
                FollowedByViewer: user.TryGetProperty("followed_by_viewer", out var f) && f.ValueKind == JsonValueKind.True,
                Followers: Count(user, "edge_followed_by"),
                Following: Count(user, "edge_follow"));
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new LiveSourceUnavailable("Instagram's profile answer was not in the expected shape.", e);
        }
    }

    private static int Count(JsonElement user, string edge) =>
        user.TryGetProperty(edge, out var e) && e.TryGetProperty("count", out var c) && c.TryGetInt32(out var n) ? n : 0;

    /// <summary>Every page of one list, each asked with the previous page's end_cursor.</summary>
    private async Task<List<FollowAccount>> ListAsync(Profile profile, string queryHash, string edgeName, string what, int max, CancellationToken ct)
    {
        var o = options.Value.Instagram;
        var accounts = new List<FollowAccount>();
        string? after = null;
        for (var page = 0; ; page++)
        {
            var variables = new Dictionary<string, object?> { ["id"] = profile.Id, ["include_reel"] = false, ["fetch_mutual"] = false, ["first"] = o.PageSize };
            if (after is not null) variables["after"] = after;
            var query = $"/graphql/query/?query_hash={queryHash}&variables={Uri.EscapeDataString(JsonSerializer.Serialize(variables))}";
            using var doc = await GetAsync(query, $"/{profile.Username}/{what}/", ct);
            bool hasNext;
            string? cursor;
            try
            {
                var edge = doc.RootElement.GetProperty("data").GetProperty("user").GetProperty(edgeName);
                foreach (var item in edge.GetProperty("edges").EnumerateArray())
                {
                    var node = item.GetProperty("node");
                    var username = node.GetProperty("username").GetString();
                    if (string.IsNullOrWhiteSpace(username) || username.Length > 64) continue;
                    var fullName = node.TryGetProperty("full_name", out var fn) && fn.ValueKind == JsonValueKind.String ? fn.GetString() : null;
                    if (fullName is { Length: > 200 }) fullName = fullName[..200];
                    accounts.Add(new FollowAccount(username, string.IsNullOrWhiteSpace(fullName) ? null : fullName, InstagramExport.ProfileUrl(username)));
                }
                var info = edge.GetProperty("page_info");
                hasNext = info.GetProperty("has_next_page").ValueKind == JsonValueKind.True;
                cursor = info.TryGetProperty("end_cursor", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
            {
                throw new LiveSourceUnavailable($"Instagram's {what} page was not in the expected shape.", e);
            }
            // The counts can lag behind the lists; stop at the limit, whatever the profile said.
            if (accounts.Count > max) throw TooLarge(profile.Username, o.MaxAccounts);
            if (!hasNext) return accounts;
            // A next page without a new cursor would ask the same page forever.
            if (string.IsNullOrEmpty(cursor) || cursor == after)
                throw new LiveSourceUnavailable($"Instagram said there are more {what} but gave no new cursor (page {page + 1}).");
            after = cursor;
        }
    }

    private enum Answer { Ok, RateLimited, LoginRequired, NotFound, Failed }

    /// <summary>One paced GET, with rate limits waited out; the JSON of a good answer.</summary>
    private async Task<JsonDocument> GetAsync(string pathAndQuery, string refererPath, CancellationToken ct)
    {
        var o = options.Value.Instagram;
        var client = http.CreateClient(HttpClientName);
        var baseUrl = o.BaseUrl.TrimEnd('/');
        for (var attempt = 0; ; attempt++)
        {
            await WaitTurnAsync(ct);
            using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + pathAndQuery);
            request.Headers.TryAddWithoutValidation("Cookie", CookieHeader(o));
            request.Headers.TryAddWithoutValidation("X-IG-App-ID", o.AppId);
            request.Headers.TryAddWithoutValidation("X-Requested-With", "XMLHttpRequest");
            request.Headers.TryAddWithoutValidation("User-Agent", o.UserAgent);
            request.Headers.TryAddWithoutValidation("Accept", "*/*");
            request.Headers.TryAddWithoutValidation("Referer", baseUrl + refererPath);
            if (!string.IsNullOrEmpty(o.CsrfToken)) request.Headers.TryAddWithoutValidation("X-CSRFToken", o.CsrfToken);

            HttpStatusCode status;
            string body;
            TimeSpan? retryAfter;
            string? location;
            try
            {
                using var response = await client.SendAsync(request, ct);
                status = response.StatusCode;
                retryAfter = RetryAfter(response);
                location = response.Headers.Location?.ToString();
                body = await response.Content.ReadAsStringAsync(ct);
            }
            catch (HttpRequestException e)
            {
                throw new LiveSourceUnavailable($"Instagram could not be reached: {e.Message}", e);
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new LiveSourceUnavailable("Instagram did not answer in time.", e);
            }
            // The pause counts from the end of this request.
            _nextRequestAt = clock.GetUtcNow() + TimeSpan.FromSeconds(o.PageDelaySeconds);

            var (answer, doc) = Classify(status, body, location);
            switch (answer)
            {
                case Answer.Ok:
                    return doc!;
                case Answer.RateLimited:
                    if (attempt >= o.RateLimitRetries)
                        throw new LiveSourceUnavailable($"Instagram kept rate-limiting after {attempt + 1} tries.");
                    var wait = retryAfter is { } ra && ra > TimeSpan.Zero
                        ? TimeSpan.FromSeconds(Math.Min(ra.TotalSeconds, o.RateLimitMaxBackoffSeconds))
                        : TimeSpan.FromSeconds(Math.Min(o.RateLimitBackoffSeconds * Math.Pow(2, attempt), o.RateLimitMaxBackoffSeconds));
                    log.LogWarning("Instagram rate-limited {Path}; waiting {Seconds}s before try {Try}", pathAndQuery.Split('?')[0], wait.TotalSeconds, attempt + 2);
                    // The same page is asked again after the wait.
                    _nextRequestAt = clock.GetUtcNow() + wait;
                    continue;
                case Answer.LoginRequired:
                    log.LogError("Instagram answered {Status} login required: renew Checks:Instagram:SessionId", (int)status);
                    throw new CheckInputError("live_login_required", "Instagram logged the bot's session out; reading accounts live is unavailable until the operator renews it.",
                        CheckTexts.LiveUnavailable);
                case Answer.NotFound:
                    throw new CheckInputError("account_not_found", "There is no such Instagram account.", CheckTexts.LiveNotFound);
                default:
                    doc?.Dispose();
                    throw new LiveSourceUnavailable($"Instagram answered HTTP {(int)status}: {Truncate(body)}");
            }
        }
    }

    /// <summary>Waits until the pause after the last request (or a rate-limit wait) is over, on the injected clock.</summary>
    private async Task WaitTurnAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_nextRequestAt > now) await Task.Delay(_nextRequestAt - now, clock, ct);
    }

    private static (Answer, JsonDocument?) Classify(HttpStatusCode status, string body, string? location)
    {
        if (status == HttpStatusCode.TooManyRequests) return (Answer.RateLimited, null);
        // Without a valid session Instagram redirects the web API to the login page.
        if ((int)status is >= 300 and < 400)
        {
            var toLogin = location is not null && (location.Contains("/accounts/login", StringComparison.OrdinalIgnoreCase) ||
                location.Contains("/challenge", StringComparison.OrdinalIgnoreCase));
            return (toLogin ? Answer.LoginRequired : Answer.Failed, null);
        }
        JsonDocument? doc = null;
        try { doc = body.Length == 0 ? null : JsonDocument.Parse(body); }
        catch (JsonException) { }
        string? message = null, statusField = null;
        var requireLogin = false;
        if (doc?.RootElement.ValueKind == JsonValueKind.Object)
        {
            var root = doc.RootElement;
            message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            statusField = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            requireLogin = root.TryGetProperty("require_login", out var r) && r.ValueKind == JsonValueKind.True;
        }
        if (message is "login_required" or "checkpoint_required" or "challenge_required" || requireLogin ||
            status is HttpStatusCode.Unauthorized || status == HttpStatusCode.Forbidden && message is null)
        {
            doc?.Dispose();
            return (Answer.LoginRequired, null);
        }
        if (message?.StartsWith("Please wait a few minutes", StringComparison.OrdinalIgnoreCase) == true || message == "rate limited")
        {
            doc?.Dispose();
            return (Answer.RateLimited, null);
        }
        if (status == HttpStatusCode.NotFound)
        {
            doc?.Dispose();
            return (Answer.NotFound, null);
        }
        if (status != HttpStatusCode.OK || doc is null || doc.RootElement.ValueKind != JsonValueKind.Object || statusField is not (null or "ok"))
            return (Answer.Failed, doc);
        return (Answer.Ok, doc);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var h = response.Headers.RetryAfter;
        if (h?.Delta is { } d) return d;
        if (h?.Date is { } date) return date - clock.GetUtcNow();
        return null;
    }

    private static string CookieHeader(ChecksOptions.InstagramOptions o)
    {
        var parts = new List<string> { $"sessionid={o.SessionId!.Trim()}" };
        if (!string.IsNullOrEmpty(o.DsUserId)) parts.Add($"ds_user_id={o.DsUserId}");
        if (!string.IsNullOrEmpty(o.CsrfToken)) parts.Add($"csrftoken={o.CsrfToken}");
        return string.Join("; ", parts);
    }

    private static string Truncate(string s) => s.Length > 200 ? s[..200] : s;

    private static List<FollowAccount> Distinct(List<FollowAccount> list) =>
        list.GroupBy(a => a.Username, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
}
