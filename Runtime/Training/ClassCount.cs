using System.IO;
using System.Linq;
using NetGen.Data;

namespace NetGen;

/// <summary>
/// A network's outputs against a dataset's classes, checked before a run's first step: one output
/// per class, no more and no fewer. More classes than outputs would leave labels no output could
/// predict (and fail at the first batch holding one); fewer would train outputs that are never a
/// target and score top-5 on a handful of classes, so the run would look fine and be wasted.
/// </summary>
public static class ClassCount
{
    /// <summary>Whether top-5 says anything: with five classes or fewer every image is a top-5 hit.</summary>
    public static bool HasTop5(int classes) => classes > 5;

    /// <summary>The first five class names, and "..." when there are more: for messages.</summary>
    internal static string Listed(System.Collections.Generic.IReadOnlyList<string> classes) =>
        string.Join(", ", classes.Take(5)) + (classes.Count > 5 ? ", ..." : "");

    /// <summary>Checks that <paramref name="network"/> has one output per class of <paramref name="data"/>.</summary>
    /// <exception cref="InvalidDataException">The counts differ; the message names the dataset and the declaration to write.</exception>
    public static void Ensure(NetworkInfo network, DataSplits data)
    {
        System.ArgumentNullException.ThrowIfNull(network);
        System.ArgumentNullException.ThrowIfNull(data);
        var classes = data.Train.Classes;
        int outputs = network.Output.Size;
        if (classes.Count == outputs)
            return;
        string names = Listed(classes);
        string consequence = classes.Count > outputs
            ? $"more than the {outputs} outputs of {network.Name}, so no output could predict class '{classes[outputs]}' or those after it"
            : $"fewer than the {outputs} outputs of {network.Name}, so {outputs - classes.Count} of them would never be a target";
        throw new InvalidDataException(
            $"{data.Train.Source}: {classes.Count} classes ({names}), {consequence}. A network needs one output per class: " +
            $"declare [Network(Layers = typeof({network.Name}), Classes = {classes.Count})] public sealed partial class {network.Name}{classes.Count}; " +
            $"({network.Name}'s layers with a last layer of {classes.Count} outputs) and train that one.");
    }
}
