using System.Net.Http.Json;
using System.Text.Json;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Bazaar.Server.ChannelPosts;
using Bazaar.Tests.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.ChannelPosts;

/// <summary>One server with a fake Bot API on the fake clock for the class; each test posts to a channel of its own.</summary>
public sealed class ChannelPostsHost : IAsyncLifetime
{
    public OutboxAppHost H { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        H = await OutboxAppHost.StartAsync();
        H.Api.Now = () => H.Now;
    }

    public async Task DisposeAsync() => await H.DisposeAsync();
}

public sealed class ChannelPostTests(ChannelPostsHost host) : IClassFixture<ChannelPostsHost>
{
    private static long _channel = -1001_000_000_000;
    private OutboxAppHost H => host.H;
    private static string NewChannel() => Interlocked.Decrement(ref _channel).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private List<FakeBotApi.Call> CallsTo(string chat, string method) =>
        H.Api.CallsOf(method).Where(c => c.Str("chat_id") == chat).ToList();

    /// <summary>Runs due jobs and the sender until nothing moves, without moving the clock.</summary>
    private async Task RunDueAsync()
    {
        for (var i = 0; i < 5; i++)
        {
            var ran = (await JobSteps.DrainAsync(H.App)).Count;
            var sent = 0;
            for (var r = await H.RunOnce(); r.Claimed > 0; r = await H.RunOnce()) sent += r.Claimed;
            if (ran == 0 && sent == 0) return;
        }
    }

    /// <summary>Moves the clock in steps, running what is due at each.</summary>
    private async Task PassAsync(TimeSpan time, double stepSeconds = 1)
    {
        var end = H.Now + time;
        await RunDueAsync();
        while (H.Now < end)
        {
            var step = TimeSpan.FromSeconds(Math.Min(stepSeconds, (end - H.Now).TotalSeconds));
            H.Advance(step);
            await RunDueAsync();
        }
    }

    private async Task<JsonElement> CreateAsync(object body)
    {
        var r = await H.App.AdminClient().PostJson("/api/v1/admin/channel-posts", body);
        Assert.Equal(201, (int)r.StatusCode);
        return await r.ReadJson();
    }

    private async Task<JsonElement> GetAsync(long id)
    {
        var r = await H.App.AdminClient().GetAsync($"/api/v1/admin/channel-posts/{id}");
        Assert.Equal(200, (int)r.StatusCode);
        return await r.ReadJson();
    }

    private Task<HttpResponseMessage> PatchAsync(long id, object body) =>
        H.App.AdminClient().PatchAsJsonAsync($"/api/v1/admin/channel-posts/{id}", body, HttpExtensions.Json);

    [Fact]
    public async Task A_post_fires_once_at_its_time_not_before_and_never_twice_even_when_its_job_runs_again()
    {
        var chat = NewChannel();
        var at = H.Now.AddMinutes(10);
        var post = await CreateAsync(new { chat_id = chat, text = "<b>Drop</b> at noon", post_at = at });
        var id = post.GetProperty("id").GetInt64();
        Assert.Equal("Scheduled", post.GetProperty("status").GetString());

        await PassAsync(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1), stepSeconds: 30);
        Assert.Empty(CallsTo(chat, "sendMessage"));

        await PassAsync(TimeSpan.FromSeconds(5));
        var sent = Assert.Single(CallsTo(chat, "sendMessage"));
        Assert.Equal("<b>Drop</b> at noon", sent.Str("text"));
        Assert.True(sent.At >= at, $"posted at {sent.At:O}, before its time {at:O}");

        // The publish job delivered again (a worker died before marking it done), twice at once, and its key enqueued anew.
        var version = (await H.App.WithDb(db => db.ChannelPosts.AsNoTracking().SingleAsync(p => p.Id == id))).Version;
        await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            await using var scope = H.App.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ChannelPostService>().PublishAsync(new(id, version), default);
        }));
        await using (var scope = H.App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<Bazaar.Server.Jobs.JobQueue>().EnqueueAsync(ChannelPostService.PublishJob,
                new ChannelPostService.PublishPayload(id, version), new() { IdempotencyKey = $"channel-post:{id}:v{version}" });
        }
        await PassAsync(TimeSpan.FromMinutes(2), stepSeconds: 5);
        Assert.Single(CallsTo(chat, "sendMessage"));

        var view = await GetAsync(id);
        Assert.Equal("Posted", view.GetProperty("status").GetString());
        Assert.True(view.GetProperty("message_id").GetInt32() > 1000, "the fake Bot API's message id is recorded");
    }

    [Fact]
    public async Task A_pinned_photo_post_with_buttons_is_sent_then_pinned_by_its_message_id()
    {
        var chat = NewChannel();
        var post = await CreateAsync(new
        {
            chat_id = chat, text = "New <i>collection</i>", photo = "https://example.com/p.jpg", pin = true, post_at = H.Now.AddMinutes(1),
            buttons = new[] { new[] { new { text = "Shop", url = "https://example.com/shop" } } },
        });
        var id = post.GetProperty("id").GetInt64();
        await PassAsync(TimeSpan.FromMinutes(2), stepSeconds: 5);

        var photo = Assert.Single(CallsTo(chat, "sendPhoto"));
        Assert.Equal("New <i>collection</i>", photo.Str("caption"));
        Assert.Equal("https://example.com/p.jpg", photo.Str("photo"));
        Assert.Equal("https://example.com/shop", photo.Parameters["reply_markup"]!["inline_keyboard"]![0]![0]!["url"]!.GetValue<string>());
        var messageId = (await GetAsync(id)).GetProperty("message_id").GetInt32();
        var pin = Assert.Single(CallsTo(chat, "pinChatMessage"));
        Assert.Equal(messageId.ToString(System.Globalization.CultureInfo.InvariantCulture), pin.Str("message_id"));
        Assert.True(pin.At >= photo.At);
    }

    [Fact]
    public async Task A_posted_post_is_edited_in_the_channel_and_unpinned_and_a_photo_post_gets_its_caption_edited()
    {
        var chat = NewChannel();
        var id = (await CreateAsync(new { chat_id = chat, text = "Old text", pin = true })).GetProperty("id").GetInt64();
        var photoChat = NewChannel();
        var photoId = (await CreateAsync(new { chat_id = photoChat, text = "Old caption", photo = "AgACAgIAAxkBAAIB" })).GetProperty("id").GetInt64();
        await PassAsync(TimeSpan.FromSeconds(10));
        var messageId = (await GetAsync(id)).GetProperty("message_id").GetInt32();

        var r = await PatchAsync(id, new { text = "New <b>text</b>", buttons = new[] { new[] { new { text = "Go", url = "https://example.com" } } }, pin = false });
        Assert.Equal(200, (int)r.StatusCode);
        r = await PatchAsync(photoId, new { text = "New caption" });
        Assert.Equal(200, (int)r.StatusCode);
        await PassAsync(TimeSpan.FromSeconds(10));

        var edit = Assert.Single(CallsTo(chat, "editMessageText"));
        Assert.Equal(messageId.ToString(System.Globalization.CultureInfo.InvariantCulture), edit.Str("message_id"));
        Assert.Equal("New <b>text</b>", edit.Str("text"));
        Assert.Equal("Go", edit.Parameters["reply_markup"]!["inline_keyboard"]![0]![0]!["text"]!.GetValue<string>());
        Assert.Single(CallsTo(chat, "unpinChatMessage"));
        Assert.Single(CallsTo(chat, "sendMessage"));
        var caption = Assert.Single(CallsTo(photoChat, "editMessageCaption"));
        Assert.Equal("New caption", caption.Str("caption"));
        Assert.Empty(CallsTo(photoChat, "editMessageText"));

        // What cannot change in the channel is refused, with what to do instead.
        await (await PatchAsync(id, new { post_at = H.Now.AddHours(1) })).AssertProblem(409, "already_posted");
        await (await PatchAsync(photoId, new { photo = "https://example.com/other.jpg" })).AssertProblem(409, "already_posted");
    }

    [Fact]
    public async Task Changing_the_time_before_posting_moves_it_and_the_old_time_posts_nothing()
    {
        var chat = NewChannel();
        var id = (await CreateAsync(new { chat_id = chat, text = "Moved", post_at = H.Now.AddMinutes(5) })).GetProperty("id").GetInt64();
        var later = H.Now.AddMinutes(20);
        var r = await PatchAsync(id, new { post_at = later, text = "Moved later" });
        Assert.Equal(200, (int)r.StatusCode);

        await PassAsync(TimeSpan.FromMinutes(19), stepSeconds: 30);
        Assert.Empty(CallsTo(chat, "sendMessage"));
        await PassAsync(TimeSpan.FromMinutes(3), stepSeconds: 5);
        var sent = Assert.Single(CallsTo(chat, "sendMessage"));
        Assert.Equal("Moved later", sent.Str("text"));
        Assert.True(sent.At >= later);
    }

    [Fact]
    public async Task Deleting_a_posted_post_deletes_its_message_and_deleting_a_scheduled_one_means_it_never_goes_out()
    {
        var chat = NewChannel();
        var posted = (await CreateAsync(new { chat_id = chat, text = "Gone soon" })).GetProperty("id").GetInt64();
        await PassAsync(TimeSpan.FromSeconds(10));
        var messageId = (await GetAsync(posted)).GetProperty("message_id").GetInt32();
        var scheduledChat = NewChannel();
        var scheduled = (await CreateAsync(new { chat_id = scheduledChat, text = "Never", post_at = H.Now.AddMinutes(3) })).GetProperty("id").GetInt64();

        var client = H.App.AdminClient();
        Assert.Equal(204, (int)(await client.DeleteAsync($"/api/v1/admin/channel-posts/{posted}")).StatusCode);
        Assert.Equal(204, (int)(await client.DeleteAsync($"/api/v1/admin/channel-posts/{scheduled}")).StatusCode);
        await PassAsync(TimeSpan.FromMinutes(5), stepSeconds: 10);

        var delete = Assert.Single(CallsTo(chat, "deleteMessage"));
        Assert.Equal(messageId.ToString(System.Globalization.CultureInfo.InvariantCulture), delete.Str("message_id"));
        Assert.DoesNotContain(H.Api.Calls, c => c.Str("chat_id") == scheduledChat);
        Assert.Equal("Deleted", (await GetAsync(scheduled)).GetProperty("status").GetString());
        await (await client.DeleteAsync($"/api/v1/admin/channel-posts/{posted}")).AssertProblem(409, "post_deleted");
        await (await PatchAsync(posted, new { text = "again" })).AssertProblem(409, "post_deleted");
    }

    [Fact]
    public async Task A_post_Telegram_refuses_ends_failed_with_the_reason_and_can_be_rescheduled()
    {
        var chat = NewChannel();
        H.Api.FailNextFor(chat, 400, "Bad Request: chat not found");
        var id = (await CreateAsync(new { chat_id = chat, text = "Nowhere" })).GetProperty("id").GetInt64();
        await PassAsync(TimeSpan.FromSeconds(10));
        var view = await GetAsync(id);
        Assert.Equal("Failed", view.GetProperty("status").GetString());
        Assert.Contains("chat not found", view.GetProperty("error").GetString());

        Assert.Equal(200, (int)(await PatchAsync(id, new { text = "Somewhere" })).StatusCode);
        await PassAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("Posted", (await GetAsync(id)).GetProperty("status").GetString());
        Assert.Equal("Somewhere", CallsTo(chat, "sendMessage").Last().Str("text"));
    }

    [Theory]
    [InlineData("""{"text":"Hi"}""", "chat_id_required")]
    [InlineData("""{"chat_id":"my channel","text":"Hi"}""", "invalid_chat_id")]
    [InlineData("""{"chat_id":"-1001234"}""", "text_required")]
    [InlineData("""{"chat_id":"@bazaar_news","text":"<b>unclosed"}""", "invalid_html")]
    [InlineData("""{"chat_id":"-1001234","text":"Hi","buttons":[[{"text":"Go","url":"javascript:alert(1)"}]]}""", "invalid_buttons")]
    [InlineData("""{"chat_id":"-1001234","text":"Hi","post_at":"2020-01-01T00:00:00Z"}""", "post_at_in_past")]
    [InlineData("""{"chat_id":"-1001234","text":"Hi","photo":"ftp://example.com/x.jpg"}""", "invalid_photo")]
    public async Task Bad_input_is_a_400_with_a_stable_code_and_nothing_is_scheduled(string body, string code)
    {
        var before = await H.App.WithDb(db => db.ChannelPosts.CountAsync());
        var r = await H.App.AdminClient().PostRaw("/api/v1/admin/channel-posts", body);
        await r.AssertProblem(400, code);
        Assert.Equal(before, await H.App.WithDb(db => db.ChannelPosts.CountAsync()));
    }

    [Fact]
    public async Task Unknown_posts_are_404_bad_updates_400_and_the_list_filters_by_status()
    {
        var client = H.App.AdminClient();
        await (await client.GetAsync("/api/v1/admin/channel-posts/987654321")).AssertProblem(404, "channel_post_not_found");
        await (await client.DeleteAsync("/api/v1/admin/channel-posts/987654321")).AssertProblem(404, "channel_post_not_found");
        var id = (await CreateAsync(new { chat_id = NewChannel(), text = "Later", post_at = H.Now.AddDays(1) })).GetProperty("id").GetInt64();
        await (await PatchAsync(id, new { text = "<x>bad</x>" })).AssertProblem(400, "invalid_html");
        await (await PatchAsync(id, new { chat_id = "nope" })).AssertProblem(400, "invalid_chat_id");
        (await client.GetAsync("/api/v1/admin/channel-posts")).EnsureSuccessStatusCode();
        var list = await (await client.GetAsync("/api/v1/admin/channel-posts?status=Scheduled")).ReadJson();
        Assert.Contains(list.GetProperty("items").EnumerateArray(), p => p.GetProperty("id").GetInt64() == id);
        Assert.All(list.GetProperty("items").EnumerateArray(), p => Assert.Equal("Scheduled", p.GetProperty("status").GetString()));
        Assert.Equal(401, (int)(await H.App.CreateClient().GetAsync("/api/v1/admin/channel-posts")).StatusCode);
    }

    [Fact]
    public async Task The_endpoints_are_in_the_OpenAPI_document()
    {
        var doc = await (await H.App.CreateClient().GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();
        Assert.Contains("\"/api/v1/admin/channel-posts\"", doc);
        Assert.Contains("\"/api/v1/admin/channel-posts/{id}\"", doc);
        foreach (var op in new[] { "CreateChannelPost", "ListChannelPosts", "GetChannelPost", "UpdateChannelPost", "DeleteChannelPost" })
            Assert.Contains($"\"{op}\"", doc);
    }
}
