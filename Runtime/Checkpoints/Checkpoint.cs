using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;

namespace NetGen;

/// <summary>
/// A network's parameters, optionally its optimiser's state, and its training state, saved as a
/// safetensors file that PyTorch reads as a state dict: each tensor is named and shaped as
/// <c>model.state_dict()</c> names and shapes it (<c>conv1.weight</c>, (96, 3, 11, 11)). SGD's
/// velocity is the same tensors prefixed <c>momentum.</c>; Adam's moments are prefixed <c>exp_avg.</c>
/// and <c>exp_avg_sq.</c> (PyTorch's names for them); the metadata names the optimiser and its step count.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>The prefix of a momentum buffer's name: <c>momentum.conv1.weight</c>.</summary>
    public const string MomentumPrefix = "momentum.";

    /// <summary>The prefix of Adam's first moment: <c>exp_avg.conv1.weight</c>.</summary>
    public const string ExpAvgPrefix = "exp_avg.";

    /// <summary>The prefix of Adam's second moment: <c>exp_avg_sq.conv1.weight</c>.</summary>
    public const string ExpAvgSqPrefix = "exp_avg_sq.";

    /// <summary>The metadata keys of the optimiser's name (sgd, adam, adamw) and of its step count (Adam's t).</summary>
    public const string OptimizerKey = "optimizer", OptimizerStepKey = "optimizer_step";

    // Metadata keys. "format": "pt" is what safetensors.torch writes; PyTorch tools look for it.
    private const string EpochKey = "epoch", StepKey = "step", LearningRateKey = "learning_rate", SeedKey = "seed";
    private const string FormatKey = "format", NetworkKey = "netgen.network";

    private Checkpoint(float[] parameters, OptimiserState? optimiser, TrainingState state, IReadOnlyDictionary<string, string> metadata)
    {
        Parameters = parameters;
        Optimiser = optimiser;
        State = state;
        Metadata = metadata;
    }

    /// <summary>Every parameter, flat, in the network's order (<see cref="ParameterInfo.Offset"/>).</summary>
    public float[] Parameters { get; }

    /// <summary>SGD's velocity in the same layout, or null when the file holds none.</summary>
    public float[]? Momentum => Optimiser is { Kind: Optimizer.Sgd } sgd ? sgd.First : null;

    /// <summary>The optimiser's state, or null when the file holds none (as one PyTorch wrote).</summary>
    public OptimiserState? Optimiser { get; }

    /// <summary>Epoch, step, learning rate and seed; <see cref="TrainingState.Initial"/>'s values for any the file lacks.</summary>
    public TrainingState State { get; }

    /// <summary>All of the file's metadata, as read (including keys NetGen does not use).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Saves <paramref name="parameters"/> (and SGD's velocity <paramref name="momentum"/>, when given) of
    /// the network <paramref name="info"/> describes, atomically: the previous file survives any failure.
    /// </summary>
    /// <exception cref="ArgumentException">An array's length is not the network's parameter count, or an extra metadata key is one the checkpoint writes itself.</exception>
    public static void Save(string path, NetworkInfo info, float[] parameters, float[]? momentum, TrainingState state,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(state);
        if (momentum is not null)
            CheckLength(info, momentum, nameof(momentum));
        Save(path, info, parameters, state, momentum is null ? null : new OptimiserState(Optimizer.Sgd, state.Step, momentum, null), extraMetadata);
    }

    /// <summary>
    /// Saves <paramref name="parameters"/> and the <paramref name="optimiser"/>'s state, when given, of the
    /// network <paramref name="info"/> describes, atomically: the previous file survives any failure.
    /// </summary>
    /// <exception cref="ArgumentException">An array's length is not the network's parameter count, or an extra metadata key is one the checkpoint writes itself.</exception>
    public static void Save(string path, NetworkInfo info, float[] parameters, TrainingState state, OptimiserState? optimiser,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(state);
        CheckLength(info, parameters, nameof(parameters));
        optimiser?.Check(optimiser.Kind, info);

        var invariant = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = "pt",
            [NetworkKey] = info.Name,
            [EpochKey] = state.Epoch.ToString(invariant),
            [StepKey] = state.Step.ToString(invariant),
            // "R" gives the shortest text that parses back to the same float, bit for bit.
            [LearningRateKey] = state.LearningRate.ToString("R", invariant),
            [SeedKey] = state.Seed.ToString(invariant),
        };
        if (optimiser is not null)
        {
            metadata[OptimizerKey] = OptimiserState.Name(optimiser.Kind);
            metadata[OptimizerStepKey] = optimiser.Steps.ToString(invariant);
        }
        foreach (var (key, value) in extraMetadata ?? new Dictionary<string, string>())
            if (!metadata.TryAdd(key, value))
                throw new ArgumentException($"Extra metadata '{key}' would replace the checkpoint's own '{key}'.", nameof(extraMetadata));

        // The tensors are views of the caller's arrays: nothing of AlexNet's 244 MB is copied before writing.
        var tensors = new List<SafeTensor>();
        AddTensors(tensors, info, parameters, "");
        if (optimiser is not null)
        {
            var (first, second) = Prefixes(optimiser.Kind);
            AddTensors(tensors, info, optimiser.First, first);
            if (second is not null)
                AddTensors(tensors, info, optimiser.Second!, second);
        }
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Loads a checkpoint of the network <paramref name="info"/> describes, from NetGen or from PyTorch's
    /// <c>save_file(model.state_dict())</c>. Every tensor must match the network's name, dtype (F32,
    /// or I64 for a count such as <c>num_batches_tracked</c>) and shape, and the file must hold nothing else.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed or does not fit the network; the message names the file and the first mismatch in parameter order.</exception>
    public static Checkpoint Load(string path, NetworkInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var file = SafeTensorsFile.Read(path);
        var parameters = new float[checked((int)info.ParameterCount)];
        foreach (var parameter in info.Parameters)
            CopyValues(Find(file, info, parameter, parameter.Name, parameter.DType), Slice(parameters, parameter));

        // The optimiser is the one the metadata names; a file without the name (NetGen's before Adam) holds SGD's momentum or nothing.
        var state = ReadState(path, file.Metadata);
        Optimizer? kind = null;
        if (file.Metadata.TryGetValue(OptimizerKey, out var optimizerName))
            kind = OptimiserState.Parse(optimizerName) ?? throw Invalid(path, $"metadata '{OptimizerKey}' is '{optimizerName}', not sgd, adam or adamw");
        else if (info.Parameters.Any(p => file.TryGet(MomentumPrefix + p.Name, out _)))
            kind = Optimizer.Sgd;
        OptimiserState? optimiser = null;
        var expected = new HashSet<string>(info.Parameters.Select(p => p.Name), StringComparer.Ordinal);
        if (kind is { } k)
        {
            var (firstPrefix, secondPrefix) = Prefixes(k);
            long steps = ReadNumber(path, file.Metadata, OptimizerStepKey, state.Step, NumberStyles.Integer);
            if (steps < 0)
                throw Invalid(path, $"metadata '{OptimizerStepKey}' is {steps}, not a count of updates");
            optimiser = new OptimiserState(k, steps, ReadMoments(file, info, firstPrefix, parameters.Length),
                secondPrefix is null ? null : ReadMoments(file, info, secondPrefix, parameters.Length));
            expected.UnionWith(info.Parameters.Select(p => firstPrefix + p.Name));
            if (secondPrefix is not null)
                expected.UnionWith(info.Parameters.Select(p => secondPrefix + p.Name));
        }

        // Anything else is most likely a renamed or foreign parameter; loading around it would hide that.
        foreach (var tensor in file.Tensors)
            if (!expected.Contains(tensor.Name))
                throw Invalid(path, $"has tensor '{tensor.Name}' ({tensor.DType} {tensor.ShapeText}), which is neither a parameter of {info.Name} nor its momentum" +
                    (kind is { } named ? $" ({OptimiserState.Name(named)}'s state is {string.Join(" and ", Describe(named))})" : ""));

        return new Checkpoint(parameters, optimiser, state, file.Metadata);
    }

    /// <summary>The tensor prefixes of <paramref name="kind"/>'s state: SGD's velocity, or Adam's two moments.</summary>
    private static (string First, string? Second) Prefixes(Optimizer kind) =>
        kind == Optimizer.Sgd ? (MomentumPrefix, null) : (ExpAvgPrefix, ExpAvgSqPrefix);

    private static IEnumerable<string> Describe(Optimizer kind)
    {
        var (first, second) = Prefixes(kind);
        yield return first + "*";
        if (second is not null)
            yield return second + "*";
    }

    /// <summary>
    /// One buffer of the optimiser's state, every tensor prefixed <paramref name="prefix"/>: all or nothing,
    /// since a half set would silently restart some layers' moments from zero.
    /// </summary>
    private static float[] ReadMoments(SafeTensors file, NetworkInfo info, string prefix, int length)
    {
        var values = new float[length];
        int present = info.Parameters.Count(p => file.TryGet(prefix + p.Name, out _));
        string what = prefix == MomentumPrefix ? "momentum" : prefix.TrimEnd('.');
        foreach (var parameter in info.Parameters)
        {
            string name = prefix + parameter.Name;
            if (!file.TryGet(name, out _))
                throw Invalid(file.Path, present == 0
                    ? $"names its optimizer '{file.Metadata[OptimizerKey]}' but holds no {what} (no tensor '{name}')"
                    : $"has {what} for {present} of {info.Name}'s {info.Parameters.Count} parameters but not for '{parameter.Name}' (no tensor '{name}'); {what} must be saved for every parameter or none");
            Find(file, info, parameter, name, "F32").CopyFloatsTo(Slice(values, parameter));
        }
        return values;
    }

    private static void CheckLength(NetworkInfo info, float[] values, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.LongLength != info.ParameterCount)
            throw new ArgumentException($"{name} has {values.LongLength} floats but {info.Name} has {info.ParameterCount} parameters.", name);
    }

    private static void AddTensors(List<SafeTensor> tensors, NetworkInfo info, float[] values, string prefix)
    {
        foreach (var parameter in info.Parameters)
            tensors.Add(prefix.Length == 0 ? Tensor(parameter, values) : SafeTensor.Float32Slice(prefix + parameter.Name, values, checked((int)parameter.Offset),
                checked((int)parameter.Count), parameter.Dimensions.Select(d => (long)d).ToArray()));
    }

    /// <summary>
    /// <paramref name="parameter"/>'s values from the flat <paramref name="values"/>, in its own type:
    /// F32, or I64 for a count the buffer holds as a float (num_batches_tracked), as PyTorch keeps it.
    /// </summary>
    public static SafeTensor Tensor(ParameterInfo parameter, float[] values)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(values);
        var shape = parameter.Dimensions.Select(d => (long)d).ToArray();
        var slice = values.AsSpan(checked((int)parameter.Offset), checked((int)parameter.Count));
        return parameter.DType == "I64"
            ? SafeTensor.Int64(parameter.Name, slice.ToArray().Select(v => (long)v).ToArray(), shape)
            : SafeTensor.Float32Slice(parameter.Name, values, checked((int)parameter.Offset), checked((int)parameter.Count), shape);
    }

    /// <summary>A tensor's values as floats: F32 as they are, a count (I64 or I32) converted.</summary>
    private static void CopyValues(SafeTensor tensor, Span<float> destination)
    {
        if (tensor.DType == "F32")
        {
            tensor.CopyFloatsTo(destination);
            return;
        }
        var counts = tensor.ToInt64s();
        for (int i = 0; i < counts.Length; i++)
            destination[i] = counts[i];
    }

    private static Span<float> Slice(float[] values, ParameterInfo parameter) =>
        values.AsSpan(checked((int)parameter.Offset), checked((int)parameter.Count));

    /// <summary>
    /// The tensor <paramref name="name"/>, checked against the <paramref name="dtype"/> and shape of
    /// <paramref name="parameter"/>: F32, or I64 for a count, which an I32 tensor also gives.
    /// </summary>
    private static SafeTensor Find(SafeTensors file, NetworkInfo info, ParameterInfo parameter, string name, string dtype)
    {
        if (!file.TryGet(name, out var tensor))
            throw Invalid(file.Path, $"has no tensor '{name}', which {info.Name} needs; it has {file.DescribeNames()}");
        if (tensor.DType != dtype && !(dtype == "I64" && tensor.DType == "I32"))
            throw Invalid(file.Path, $"{name} is {tensor.DType} in the file but {dtype} in {info.Name}");
        var shape = parameter.Dimensions.Select(d => (long)d).ToArray();
        if (!tensor.Shape.SequenceEqual(shape))
            throw Invalid(file.Path, $"{name} is {tensor.ShapeText} in the file but {SafeTensor.FormatShape(shape)} in {info.Name}");
        return tensor;
    }

    private static TrainingState ReadState(string path, IReadOnlyDictionary<string, string> metadata)
    {
        var initial = TrainingState.Initial;
        return new TrainingState(
            ReadNumber(path, metadata, EpochKey, initial.Epoch, NumberStyles.Integer),
            ReadNumber(path, metadata, StepKey, initial.Step, NumberStyles.Integer),
            ReadNumber(path, metadata, LearningRateKey, initial.LearningRate, NumberStyles.Float),
            ReadNumber(path, metadata, SeedKey, initial.Seed, NumberStyles.Integer));
    }

    /// <summary>A metadata number, or <paramref name="fallback"/> when the key is absent; a malformed one is an error, not a silent default.</summary>
    private static T ReadNumber<T>(string path, IReadOnlyDictionary<string, string> metadata, string key, T fallback, NumberStyles style)
        where T : INumberBase<T>
    {
        if (!metadata.TryGetValue(key, out var text))
            return fallback;
        if (!T.TryParse(text, style, CultureInfo.InvariantCulture, out var value))
            throw Invalid(path, $"metadata '{key}' is '{text}', not {(style == NumberStyles.Float ? "a number" : $"a whole number that fits {typeof(T).Name}")}");
        return value;
    }

    private static InvalidDataException Invalid(string path, string problem) => SafeTensorsFile.Invalid(path, problem);
}
