namespace Bazaar.Server.Conversations;

public delegate Task BotHandler(BotContext ctx);

/// <summary>A step of the pipeline, grammY style: do something, then (or not) call next.</summary>
public delegate Task BotMiddleware(BotContext ctx, Func<Task> next);

/// <summary>
/// What the bot understands, filled by each feature's module through <c>services.AddBotRoutes(...)</c>.
/// Features never parse raw updates: they register commands, deep links, button prefixes, conversation
/// steps and payment payload prefixes here.
/// </summary>
public sealed class BotRoutes
{
    public sealed record CommandRoute(string Name, BotHandler Handler, Localized? Description, bool Hidden);
    public sealed record MenuItem(Localized Label, string CallbackData);
    /// <summary>What a feature adds to /help under the command list: a line of text and buttons (either may be empty).</summary>
    public sealed record HelpSection(string? Text, IReadOnlyList<Telegram.Bot.Types.ReplyMarkups.InlineKeyboardButton[]> Buttons);

    private readonly Dictionary<string, CommandRoute> _commands = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string Prefix, BotHandler Handler)> _startPayloads = [];
    private readonly List<(string Prefix, BotHandler Handler)> _callbacks = [];
    private readonly List<(string Prefix, BotHandler Handler)> _preCheckouts = [];
    private readonly List<(string Prefix, BotHandler Handler)> _payments = [];
    private readonly Dictionary<string, BotHandler> _steps = new(StringComparer.Ordinal);
    private readonly List<BotMiddleware> _middleware = [];
    private readonly List<CommandRoute> _commandOrder = [];
    private readonly List<MenuItem> _menu = [];
    private readonly List<Func<BotContext, Task<HelpSection?>>> _help = [];

    /// <summary>Commands in registration order (the order /help and setMyCommands show).</summary>
    public IReadOnlyList<CommandRoute> Commands => _commandOrder;
    public IReadOnlyList<BotMiddleware> Middleware => _middleware;
    /// <summary>The feature buttons of /start's menu, in registration order.</summary>
    public IReadOnlyList<MenuItem> Menu => _menu;
    /// <summary>The features' parts of /help, in registration order.</summary>
    public IReadOnlyList<Func<BotContext, Task<HelpSection?>>> Help => _help;

    /// <summary>"/name args" and "/name@BotName args". Hidden commands work but are not listed.</summary>
    public BotRoutes Command(string name, BotHandler handler, Localized? description = null, bool hidden = false)
    {
        name = name.TrimStart('/');
        var route = new CommandRoute(name, handler, description, hidden);
        if (!_commands.TryAdd(name, route))
            throw new InvalidOperationException($"The command /{name} is registered twice.");
        _commandOrder.Add(route);
        return this;
    }

    /// <summary>A button on /start's menu opening a feature (its callback must be registered too).</summary>
    public BotRoutes MenuButton(Localized label, string callbackData)
    {
        _menu.Add(new MenuItem(label, callbackData));
        return this;
    }

    /// <summary>A part of /help shown under the command list (e.g. the guides' topics as buttons).</summary>
    public BotRoutes HelpMenu<TBot>(Func<TBot, BotContext, Task<HelpSection?>> section) where TBot : notnull
    {
        _help.Add(ctx => section(ctx.Services.GetRequiredService<TBot>(), ctx));
        return this;
    }

    /// <summary>A deep link t.me/bot?start=PREFIX...; ctx.Args holds the whole payload.</summary>
    public BotRoutes StartPayload(string prefix, BotHandler handler) => AddPrefix(_startPayloads, prefix, handler);

    /// <summary>Inline buttons whose callback data starts with the prefix (e.g. "shop:").</summary>
    public BotRoutes Callback(string prefix, BotHandler handler) => AddPrefix(_callbacks, prefix, handler);

    /// <summary>Text and media sent while the chat is at this conversation step.</summary>
    public BotRoutes Step(string step, BotHandler handler)
    {
        if (!_steps.TryAdd(step, handler)) throw new InvalidOperationException($"The step {step} is registered twice.");
        return this;
    }

    /// <summary>Telegram payments: pre_checkout_query whose invoice payload starts with the prefix.</summary>
    public BotRoutes PreCheckout(string payloadPrefix, BotHandler handler) => AddPrefix(_preCheckouts, payloadPrefix, handler);

    /// <summary>Telegram payments: the successful_payment message whose invoice payload starts with the prefix.</summary>
    public BotRoutes SuccessfulPayment(string payloadPrefix, BotHandler handler) => AddPrefix(_payments, payloadPrefix, handler);

    /// <summary>A middleware that runs after the user, blocked and rate-limit checks, before routing.</summary>
    public BotRoutes Use(BotMiddleware middleware)
    {
        _middleware.Add(middleware);
        return this;
    }

    // A feature's handlers as methods of a small per-feature service (e.g. ShopBot): the pipeline resolves it from
    // the update's scope and passes it in, so a handler never looks services up itself.

    public BotRoutes Command<TBot>(string name, Func<TBot, BotContext, Task> handler, Localized? description = null, bool hidden = false)
        where TBot : notnull => Command(name, Bind(handler), description, hidden);

    public BotRoutes StartPayload<TBot>(string prefix, Func<TBot, BotContext, Task> handler) where TBot : notnull =>
        StartPayload(prefix, Bind(handler));

    public BotRoutes Callback<TBot>(string prefix, Func<TBot, BotContext, Task> handler) where TBot : notnull =>
        Callback(prefix, Bind(handler));

    public BotRoutes Step<TBot>(string step, Func<TBot, BotContext, Task> handler) where TBot : notnull => Step(step, Bind(handler));

    public BotRoutes PreCheckout<TBot>(string payloadPrefix, Func<TBot, BotContext, Task> handler) where TBot : notnull =>
        PreCheckout(payloadPrefix, Bind(handler));

    public BotRoutes SuccessfulPayment<TBot>(string payloadPrefix, Func<TBot, BotContext, Task> handler) where TBot : notnull =>
        SuccessfulPayment(payloadPrefix, Bind(handler));

    private static BotHandler Bind<TBot>(Func<TBot, BotContext, Task> handler) where TBot : notnull =>
        ctx => handler(ctx.Services.GetRequiredService<TBot>(), ctx);

    public CommandRoute? FindCommand(string name) => _commands.GetValueOrDefault(name);
    public BotHandler? FindStep(string step) => _steps.GetValueOrDefault(step);
    public BotHandler? FindStartPayload(string payload) => Longest(_startPayloads, payload);
    public BotHandler? FindCallback(string data) => Longest(_callbacks, data);
    public BotHandler? FindPreCheckout(string payload) => Longest(_preCheckouts, payload);
    public BotHandler? FindPayment(string payload) => Longest(_payments, payload);

    private BotRoutes AddPrefix(List<(string, BotHandler)> list, string prefix, BotHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        list.Add((prefix, handler));
        return this;
    }

    private static BotHandler? Longest(List<(string Prefix, BotHandler Handler)> list, string value)
    {
        BotHandler? best = null;
        var bestLength = -1;
        foreach (var (prefix, handler) in list)
        {
            if (prefix.Length > bestLength && value.StartsWith(prefix, StringComparison.Ordinal))
            {
                best = handler;
                bestLength = prefix.Length;
            }
        }
        return best;
    }
}

public static class BotRoutesExtensions
{
    /// <summary>Adds a feature's commands, buttons and steps to the bot.</summary>
    public static IServiceCollection AddBotRoutes(this IServiceCollection services, Action<BotRoutes> configure) =>
        services.Configure(configure);
}
