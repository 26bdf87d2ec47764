using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using NetGen.Generator.Attributes;
using NetGen.Generator.Model;
using NetGen.Generator.Parsing;

namespace NetGen.Generator.Operations;

/// <summary>What an operation's <c>Read</c> is given: the attribute's arguments and where it stands.</summary>
/// <param name="AttributeName">The attribute's class name (MaxPoolAttribute), for an operation read from several.</param>
/// <param name="Round">The network's rounding, for an operation that does not set its own.</param>
/// <param name="Init">The network's initialisation, for a learnable operation that does not set its own.</param>
internal sealed record OperationReading(AttributeArguments Args, string AttributeName, LocationInfo? Location, Rounding Round, Init Init);

/// <summary>
/// Every operation the generator knows, found once by its <see cref="ReadFromAttribute"/>: adding
/// an operation is adding its file, with no list to extend. An attribute no operation reads from
/// is NG0023 where it is used.
/// </summary>
internal static class OperationCatalog
{
    private static readonly Lazy<Dictionary<string, Func<OperationReading, Operation>>> Readers = new(Find);

    /// <summary>The attribute class names (ConvAttribute, ...) the generator reads.</summary>
    public static IEnumerable<string> AttributeNames => Readers.Value.Keys;

    /// <summary>The attribute written with what it needs ("MaxPool(2)"), or null when its operation gives none.</summary>
    public static string? Example(string attributeName) =>
        Examples.Value.TryGetValue(attributeName, out var example) ? example : null;

    private static readonly Lazy<Dictionary<string, string>> Examples = new(() =>
        typeof(Operation).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes<ReadFromAttribute>())
            .Where(r => r.Example is not null)
            .ToDictionary(r => r.Attribute.Name, r => r.Example!));

    /// <summary>Reads the operation written as <paramref name="attributeName"/>, or null when none reads from it.</summary>
    public static Operation? Read(string attributeName, OperationReading reading) =>
        Readers.Value.TryGetValue(attributeName, out var read) ? read(reading) : null;

    private static Dictionary<string, Func<OperationReading, Operation>> Find()
    {
        var readers = new Dictionary<string, Func<OperationReading, Operation>>();
        foreach (var type in typeof(Operation).Assembly.GetTypes().Where(t => !t.IsAbstract && typeof(Operation).IsAssignableFrom(t)))
        {
            var read = type.GetMethod("Read", BindingFlags.Public | BindingFlags.Static, null, [typeof(OperationReading)], null)
                ?? throw new InvalidOperationException($"NetGen generator bug: the operation {type.Name} has no static Read(OperationReading).");
            var function = (Func<OperationReading, Operation>)read.CreateDelegate(typeof(Func<OperationReading, Operation>));
            foreach (var from in type.GetCustomAttributes<ReadFromAttribute>())
                readers.Add(from.Attribute.Name, function);
        }
        return readers;
    }
}
