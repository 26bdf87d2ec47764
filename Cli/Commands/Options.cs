using System;
using System.Collections.Generic;
using System.Globalization;

namespace NetGen.CommandLine;

/// <summary>Positional arguments and --name value options, read on demand so each command states its own.</summary>
internal sealed class Options
{
    /// <summary>Options that take no value, so the word after one stays positional.</summary>
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--no-dropout", "--activations", "--json", "--resume", "--ten-crop", "--data-parallel", "--strict" };

    private readonly List<string> positional = [];
    private readonly Dictionary<string, string> named = new(StringComparer.Ordinal);

    public Options(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                positional.Add(args[i]);
            else if (!Flags.Contains(args[i]) && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                named[args[i]] = args[++i];
            else
                named[args[i]] = "true";
        }
    }

    public string Positional(int index, string what) =>
        index < positional.Count ? positional[index] : throw new UsageException($"missing {what}");

    /// <summary>The positional arguments from <paramref name="index"/> on.</summary>
    public IReadOnlyList<string> PositionalFrom(int index) => index < positional.Count ? positional[index..] : [];

    public string Required(string name) =>
        named.TryGetValue(name, out var text) && text != "true" ? text : throw new UsageException($"missing {name} <path>");

    public bool Flag(string name) => named.ContainsKey(name);

    public string String(string name, string fallback) => named.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback) =>
        !named.TryGetValue(name, out var text) ? fallback
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0 ? value
        : throw new UsageException($"{name} takes a positive whole number, not '{text}'");

    public ulong ULong(string name, ulong fallback) =>
        !named.TryGetValue(name, out var text) ? fallback
        : ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong value) ? value
        : throw new UsageException($"{name} takes a whole number, not '{text}'");

    /// <summary>A whole number of zero or more, such as a padding.</summary>
    public int Count(string name, int fallback) =>
        !named.TryGetValue(name, out var text) ? fallback
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= 0 ? value
        : throw new UsageException($"{name} takes a whole number of zero or more, not '{text}'");

    /// <summary>A number of zero or more, such as a weight decay.</summary>
    public float NonNegative(string name, float fallback) =>
        !named.TryGetValue(name, out var text) ? fallback
        : float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && value >= 0 && float.IsFinite(value) ? value
        : throw new UsageException($"{name} takes a number of zero or more, not '{text}'");

    /// <summary><c>on</c> or <c>off</c>.</summary>
    public bool Switch(string name, bool fallback) =>
        !named.TryGetValue(name, out var text) ? fallback
        : text switch { "on" => true, "off" => false, _ => throw new UsageException($"{name} takes on or off, not '{text}'") };

    public float Float(string name, float fallback) =>
        !named.TryGetValue(name, out var text) ? fallback
        : float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && value > 0 && float.IsFinite(value) ? value
        : throw new UsageException($"{name} takes a positive number, not '{text}'");
}

/// <summary>A mistake in the command line: printed with the usage, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
