using System.Collections.Frozen;
using Bazaar.Server.Dashboard;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Bazaar.Server.Dashboard
{
    /// <summary>A setting the owner changed in the dashboard, by its configuration key (e.g. Admin:TelegramIds).</summary>
    public sealed class RuntimeSetting
    {
        public required string Key { get; set; }
        public required string Value { get; set; }
        public DateTime UpdatedAt { get; set; }
        public required string UpdatedBy { get; set; }
    }

    internal sealed class RuntimeSettingMap : IEntityTypeConfiguration<RuntimeSetting>
    {
        public void Configure(EntityTypeBuilder<RuntimeSetting> b)
        {
            b.ToTable("runtime_settings");
            b.HasKey(s => s.Key);
            b.Property(s => s.Key).HasMaxLength(200);
            b.Property(s => s.Value).HasMaxLength(4000);
            b.Property(s => s.UpdatedBy).HasMaxLength(64);
        }
    }

    /// <summary>
    /// The dashboard's settings as an overlay on configuration: rows of <c>runtime_settings</c> are bound, by their
    /// configuration keys, over the options the features already read (after appsettings, environment and command
    /// line), and bot texts over the compiled ones. Loaded at start-up, after every change here, and every
    /// <c>Dashboard:SettingsRefreshSeconds</c> so other processes on the database follow.
    /// </summary>
    public sealed class RuntimeSettings
    {
        public const string TextsPrefix = "Texts:";

        private volatile Snapshot _current = Snapshot.Empty;
        private CancellationTokenSource _changed = new();
        private readonly Lock _gate = new();
        private HashSet<string> _appliedTexts = [];

        private sealed record Snapshot(FrozenDictionary<string, string> Values, IConfiguration Config)
        {
            public static readonly Snapshot Empty = Of(new Dictionary<string, string>());

            public static Snapshot Of(Dictionary<string, string> values) => new(values.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
                new ConfigurationBuilder().AddInMemoryCollection(values.Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value))).Build());
        }

        public IReadOnlyDictionary<string, string> Values => _current.Values;

        public string? Get(string key) => _current.Values.GetValueOrDefault(key);

        /// <summary>The stored settings under a configuration section, to bind over that section's options.</summary>
        public IConfigurationSection Section(string name) => _current.Config.GetSection(name);

        /// <summary>Fires when the stored settings change; options monitors recompute on it.</summary>
        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

        public async Task LoadAsync(BazaarDb db, CancellationToken ct)
        {
            var rows = await db.RuntimeSettings.AsNoTracking().ToDictionaryAsync(s => s.Key, s => s.Value, StringComparer.OrdinalIgnoreCase, ct);
            Apply(rows);
        }

        /// <summary>Stores (or, with null, removes) settings and applies them in this process at once.</summary>
        public async Task SaveAsync(BazaarDb db, IReadOnlyDictionary<string, string?> changes, string actor, DateTime now, CancellationToken ct)
        {
            foreach (var (key, value) in changes)
            {
                var row = await db.RuntimeSettings.FirstOrDefaultAsync(s => s.Key == key, ct);
                if (value is null)
                {
                    if (row is not null) db.RuntimeSettings.Remove(row);
                }
                else if (row is null)
                {
                    db.RuntimeSettings.Add(new RuntimeSetting { Key = key, Value = value, UpdatedAt = now, UpdatedBy = actor });
                }
                else
                {
                    row.Value = value;
                    row.UpdatedAt = now;
                    row.UpdatedBy = actor;
                }
            }
            await db.SaveChangesAsync(ct);
            await LoadAsync(db, ct);
        }

        private void Apply(Dictionary<string, string> rows)
        {
            lock (_gate)
            {
                var old = _current.Values;
                if (old.Count == rows.Count && rows.All(kv => old.TryGetValue(kv.Key, out var v) && v == kv.Value)) return;
                _current = Snapshot.Of(rows);
                ApplyTexts(rows);
                var fire = _changed;
                _changed = new CancellationTokenSource();
                fire.Cancel();
            }
        }

        /// <summary>Texts:{Class.Field}:{language} rows become overrides of the compiled texts; rows removed restore them.</summary>
        private void ApplyTexts(Dictionary<string, string> rows)
        {
            var applied = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in rows)
            {
                if (!BotTextCatalog.TryParseKey(key, out var text, out var language)) continue;
                Conversations.TextOverrides.Set(text, language, value);
                applied.Add(key);
            }
            foreach (var key in _appliedTexts.Where(k => !applied.Contains(k)))
                if (BotTextCatalog.TryParseKey(key, out var text, out var language))
                    Conversations.TextOverrides.Set(text, language, null);
            _appliedTexts = applied;
        }
    }

    /// <summary>Binds the stored settings of one section over its options, and tells the options monitor when they change.</summary>
    internal sealed class SettingsOverlay<T>(RuntimeSettings settings, string section) : IPostConfigureOptions<T>, IOptionsChangeTokenSource<T>
        where T : class
    {
        public string Name => Options.DefaultName;

        public void PostConfigure(string? name, T options)
        {
            if (name == Options.DefaultName) settings.Section(section).Bind(options);
        }

        public IChangeToken GetChangeToken() => settings.ChangeToken;
    }

    /// <summary>
    /// IOptions&lt;T&gt; that follows the monitor, so a feature reading <c>options.Value</c> when it acts sees a setting
    /// changed in the dashboard without a restart (the default IOptions&lt;T&gt; keeps its first value forever).
    /// </summary>
    internal sealed class LiveOptions<T>(IOptionsMonitor<T> monitor) : IOptions<T> where T : class
    {
        public T Value => monitor.CurrentValue;
    }

    /// <summary>Loads the settings once the schema is current, before the server takes traffic.</summary>
    internal sealed class RuntimeSettingsSeed(RuntimeSettings settings) : IStartupSeed
    {
        public Task SeedAsync(BazaarDb db, CancellationToken ct) => settings.LoadAsync(db, ct);
    }

    /// <summary>Re-reads the settings now and then, so a change made through another process reaches this one.</summary>
    internal sealed class RuntimeSettingsRefresh(RuntimeSettings settings, IServiceScopeFactory scopes, IOptions<DashboardOptions> options,
        TimeProvider clock, ILogger<RuntimeSettingsRefresh> log) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var seconds = options.Value.SettingsRefreshSeconds;
            if (seconds <= 0) return;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), clock);
            try
            {
                while (await timer.WaitForNextTickAsync(stoppingToken))
                {
                    try
                    {
                        await using var scope = scopes.CreateAsyncScope();
                        await settings.LoadAsync(scope.ServiceProvider.GetRequiredService<BazaarDb>(), stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        log.LogWarning(e, "Reading the dashboard settings failed; the last ones stay in force");
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    internal static class RuntimeSettingsRegistration
    {
        /// <summary>Lets the dashboard's stored settings override section <paramref name="section"/> of <typeparamref name="T"/> at run time.</summary>
        public static IServiceCollection AddSettingsOverlay<T>(this IServiceCollection services, string section) where T : class
        {
            services.AddSingleton<SettingsOverlay<T>>(sp => new SettingsOverlay<T>(sp.GetRequiredService<RuntimeSettings>(), section));
            services.AddSingleton<IPostConfigureOptions<T>>(sp => sp.GetRequiredService<SettingsOverlay<T>>());
            services.AddSingleton<IOptionsChangeTokenSource<T>>(sp => sp.GetRequiredService<SettingsOverlay<T>>());
            services.AddSingleton<IOptions<T>>(sp => new LiveOptions<T>(sp.GetRequiredService<IOptionsMonitor<T>>()));
            return services;
        }
    }
}

namespace Bazaar.Server.Data
{
    public abstract partial class BazaarDb
    {
        public DbSet<RuntimeSetting> RuntimeSettings => Set<RuntimeSetting>();
    }
}
