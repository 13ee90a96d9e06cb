using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bazaar.Tests.Fakes;

/// <summary>
/// A Telegram Bot API server on 127.0.0.1 that speaks the real wire format
/// (<c>POST /bot&lt;token&gt;/&lt;method&gt;</c>, JSON or multipart in, <c>{"ok":..,"result":..}</c> out).
/// It records every call, answers with plausible results, and can be told to fail the next calls of a method.
/// Point the server at it with Telegram:ApiBaseUrl = <see cref="BaseUrl"/>.
/// </summary>
public sealed class FakeBotApi : IAsyncDisposable
{
    public sealed record UploadedFile(string FileName, string? ContentType, byte[] Content);

    public sealed record Call(string Token, string Method, JsonObject Parameters, DateTime At)
    {
        /// <summary>True when the call came as multipart/form-data.</summary>
        public bool IsMultipart { get; init; }
        /// <summary>Files uploaded with the call, by parameter name.</summary>
        public IReadOnlyDictionary<string, UploadedFile> Files { get; init; } = new Dictionary<string, UploadedFile>();

        /// <summary>The file a parameter carries: uploaded under its own name, or referenced as attach://&lt;part&gt;.</summary>
        public UploadedFile? File(string parameter) =>
            Files.TryGetValue(parameter, out var f) ? f
            : Str(parameter) is { } v && v.StartsWith("attach://", StringComparison.Ordinal) && Files.TryGetValue(v["attach://".Length..], out f) ? f
            : null;

        public string? Str(string name) => Parameters[name] is JsonValue v ? v.ToString() : Parameters[name]?.ToJsonString();
    }

    private sealed record Failure(int Status, string Description, int? RetryAfter);

    /// <summary>A held call: <see cref="Entered"/> completes when the call arrives; it is answered once <see cref="Release"/> completes.</summary>
    public sealed record Hold(TaskCompletionSource Entered, TaskCompletionSource Release);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Call> _calls = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Failure>> _failures = new();
    private readonly ConcurrentDictionary<string, Func<Call, JsonNode?>> _results = new();
    private readonly ConcurrentQueue<JsonObject> _pendingUpdates = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Failure>> _chatFailures = new();
    private readonly ConcurrentDictionary<string, Hold> _holds = new();
    private volatile Failure? _failAll;
    private int _messageId = 1000;

    public string BaseUrl { get; }
    /// <summary>Stamps <see cref="Call.At"/>; point it at a test's FakeTimeProvider to measure pacing on the fake clock.</summary>
    public Func<DateTime> Now { get; set; } = () => DateTime.UtcNow;
    public IReadOnlyList<Call> Calls => _calls.ToArray();
    public IEnumerable<Call> CallsOf(string method) => _calls.Where(c => c.Method.Equals(method, StringComparison.OrdinalIgnoreCase));

    private FakeBotApi(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<FakeBotApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeBotApi? fake = null;
        app.MapPost("/bot{token}/{method}", (string token, string method, HttpContext http) => fake!.Handle(token, method, http));
        // Bot API file downloads: GET /file/bot{token}/{file_path}, as getFile's file_path names them.
        app.MapGet("/file/bot{token}/{**path}", (string token, string path) =>
            fake!._files.TryGetValue(path, out var f) ? Results.Bytes(f, "application/octet-stream") : Results.NotFound());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake = new FakeBotApi(app, address);
        return fake;
    }

    /// <summary>The next <paramref name="times"/> calls of a method fail with this status (429 with retry_after, 403, 500 ...).</summary>
    public void FailNext(string method, int status, string description, int? retryAfter = null, int times = 1)
    {
        var q = _failures.GetOrAdd(method.ToLowerInvariant(), _ => new ConcurrentQueue<Failure>());
        for (var i = 0; i < times; i++) q.Enqueue(new Failure(status, description, retryAfter));
    }

    /// <summary>The next <paramref name="times"/> calls addressed to one chat (its chat_id), of any method, fail with this status.</summary>
    public void FailNextFor(string chatId, int status, string description, int? retryAfter = null, int times = 1)
    {
        var q = _chatFailures.GetOrAdd(chatId, _ => new ConcurrentQueue<Failure>());
        for (var i = 0; i < times; i++) q.Enqueue(new Failure(status, description, retryAfter));
    }

    /// <summary>The next call of a method waits, recorded, until the returned hold is released; then it is answered (or fails) as usual.</summary>
    public Hold HoldNext(string method)
    {
        var hold = new Hold(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
            new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _holds[method.ToLowerInvariant()] = hold;
        return hold;
    }

    /// <summary>Every call fails with this status until <see cref="Recover"/> (an outage).</summary>
    public void FailEverything(int status, string description) => _failAll = new Failure(status, description, null);

    public void Recover() => _failAll = null;

    /// <summary>Overrides the result of a method.</summary>
    public void AnswerWith(string method, Func<Call, JsonNode?> result) => _results[method.ToLowerInvariant()] = result;

    /// <summary>Queues an update for the next getUpdates (long polling).</summary>
    public void QueueUpdate(JsonObject update) => _pendingUpdates.Enqueue(update);

    public void Clear() => _calls.Clear();

    private readonly ConcurrentDictionary<string, byte[]> _files = new();
    private readonly ConcurrentDictionary<string, string> _filePaths = new();

    /// <summary>A file users sent: getFile answers for its id, and its bytes are served at the file path.</summary>
    public void AddFile(string fileId, byte[] content)
    {
        var path = $"documents/{fileId}.zip";
        _files[path] = content;
        _filePaths[fileId] = path;
    }

    private async Task<IResult> Handle(string token, string method, HttpContext http)
    {
        var (parameters, files) = await ReadParameters(http.Request);
        var call = new Call(token, method, parameters, Now()) { IsMultipart = http.Request.HasFormContentType, Files = files };
        _calls.Enqueue(call);
        if (_holds.TryRemove(method.ToLowerInvariant(), out var hold))
        {
            hold.Entered.TrySetResult();
            await hold.Release.Task;
        }

        // Long polling: an empty getUpdates with a timeout waits (real time, at most 5 s) for an update to be queued.
        if (method.Equals("getUpdates", StringComparison.OrdinalIgnoreCase) && parameters["timeout"] is JsonValue t
            && t.TryGetValue<int>(out var seconds) && seconds > 0)
        {
            var until = DateTime.UtcNow.AddSeconds(Math.Min(seconds, 5));
            while (_pendingUpdates.IsEmpty && DateTime.UtcNow < until && !http.RequestAborted.IsCancellationRequested)
                await Task.Delay(50, CancellationToken.None);
        }

        var chat = parameters["chat_id"]?.ToString();
        if (_failAll is { } f ||
            (chat is not null && _chatFailures.TryGetValue(chat, out var cq) && cq.TryDequeue(out f)) ||
            (_failures.TryGetValue(method.ToLowerInvariant(), out var q) && q.TryDequeue(out f)))
        {
            var error = new JsonObject { ["ok"] = false, ["error_code"] = f.Status, ["description"] = f.Description };
            if (f.RetryAfter is { } ra) error["parameters"] = new JsonObject { ["retry_after"] = ra };
            return Results.Content(error.ToJsonString(), "application/json", statusCode: f.Status);
        }

        var result = _results.TryGetValue(method.ToLowerInvariant(), out var custom) ? custom(call) : DefaultResult(call);
        return Results.Content(new JsonObject { ["ok"] = true, ["result"] = result }.ToJsonString(), "application/json");
    }

    private JsonNode? DefaultResult(Call call)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        switch (call.Method.ToLowerInvariant())
        {
            case "getme":
                return new JsonObject { ["id"] = long.Parse(call.Token.Split(':')[0]), ["is_bot"] = true, ["first_name"] = "Bazaar", ["username"] = "bazaar_test_bot" };
            case "getupdates":
                var updates = new JsonArray();
                while (_pendingUpdates.TryDequeue(out var u)) updates.Add(u);
                return updates;
            case "sendmessage" or "sendphoto" or "senddocument" or "sendlocation" or "sendinvoice" or "editmessagetext" or "editmessagecaption" or "editmessagereplymarkup" or "editmessagemedia":
                var chatId = call.Parameters["chat_id"]?.ToString() ?? "0";
                var message = new JsonObject
                {
                    ["message_id"] = call.Parameters["message_id"]?.GetValue<int>() ?? Interlocked.Increment(ref _messageId),
                    ["date"] = now,
                    ["chat"] = new JsonObject { ["id"] = long.TryParse(chatId, out var cid) ? cid : 0, ["type"] = "private" },
                };
                if (call.Parameters["text"] is { } text) message["text"] = text.ToString();
                if (call.Parameters["caption"] is { } caption) message["caption"] = caption.ToString();
                return message;
            case "createinvoicelink":
                return $"https://t.me/$invoice{Interlocked.Increment(ref _messageId)}";
            case "getchatmember":
                return new JsonObject
                {
                    ["status"] = "member",
                    ["user"] = new JsonObject { ["id"] = long.TryParse(call.Parameters["user_id"]?.ToString(), out var uid) ? uid : 0, ["is_bot"] = false, ["first_name"] = "User" },
                };
            case "getchat":
                var asked = call.Parameters["chat_id"]?.ToString() ?? "0";
                var chat = new JsonObject
                {
                    ["id"] = long.TryParse(asked, out var numeric) ? numeric : -1000000000000 - Math.Abs(asked.GetHashCode() % 1000000),
                    ["type"] = "channel", ["title"] = "Chat " + asked, ["accent_color_id"] = 0, ["max_reaction_count"] = 0,
                };
                if (asked.StartsWith('@')) chat["username"] = asked[1..];
                return chat;
            case "getfile":
                var fid = call.Parameters["file_id"]?.ToString() ?? "";
                return _filePaths.TryGetValue(fid, out var fp)
                    ? new JsonObject { ["file_id"] = fid, ["file_unique_id"] = "u" + fid, ["file_size"] = _files[fp].Length, ["file_path"] = fp }
                    : new JsonObject { ["file_id"] = fid, ["file_unique_id"] = "u" + fid };
            case "getwebhookinfo":
                return new JsonObject { ["url"] = "", ["has_custom_certificate"] = false, ["pending_update_count"] = 0 };
            default:
                return true;
        }
    }

    private static async Task<(JsonObject, Dictionary<string, UploadedFile>)> ReadParameters(HttpRequest request)
    {
        var files = new Dictionary<string, UploadedFile>();
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            var o = new JsonObject();
            foreach (var (k, v) in form) o[k] = TryParseJson(v.ToString());
            foreach (var file in form.Files)
            {
                o[file.Name] = $"<file {file.FileName} {file.Length} bytes>";
                using var ms = new MemoryStream();
                await file.CopyToAsync(ms);
                files[file.Name] = new UploadedFile(file.FileName, file.ContentType, ms.ToArray());
            }
            return (o, files);
        }
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        return (string.IsNullOrWhiteSpace(body) ? new JsonObject() : JsonNode.Parse(body) as JsonObject ?? new JsonObject(), files);
    }

    private static JsonNode? TryParseJson(string value)
    {
        if (value.StartsWith('{') || value.StartsWith('['))
        {
            try { return JsonNode.Parse(value); } catch (JsonException) { }
        }
        return JsonValue.Create(value);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
