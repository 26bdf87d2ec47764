using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using NetGen.Generator.Model;
using NetGen.Generator.Operations;

namespace NetGen.Generator.Planning;

/// <summary>
/// Turns a model into kernels: each non-elementwise operation starts a kernel, and the elementwise
/// operations after it (ReLU, dropout) fuse into its epilogue. Lays out the parameter buffer in
/// layer order, each operation's tensors in its own order (weight before bias), as PyTorch's state
/// dict lists them.
/// </summary>
internal static class Planner
{
    public static NetworkPlan Plan(NetworkModel model)
    {
        var names = new UniqueNames();
        var activations = new List<ActivationPlan> { Activation(names, "input", "Input", model.Input, "the batch of images") };
        var parameters = new List<ParameterPlan>();
        var kernels = new List<KernelPlan>();
        long offset = 0;
        // Each layer's output activation, by member name, for the layers that read one by nameof.
        var layerOutputs = new Dictionary<string, int>(System.StringComparer.Ordinal);
        foreach (var layer in model.Layers)
        {
            int i = 0;
            int input = layer.InputLayer is { } named ? layerOutputs[named] : activations.Count - 1;
            while (i < layer.Ops.Count)
            {
                var main = layer.Ops[i++];
                // A join comes right after the main operation (NG0028), before the epilogue.
                OpModel? join = i < layer.Ops.Count && layer.Ops[i].Op is JoinOperation ? layer.Ops[i++] : null;
                var epilogue = new List<OpModel>();
                while (i < layer.Ops.Count && layer.Ops[i].Op is ElementwiseOperation)
                    epilogue.Add(layer.Ops[i++]);
                var tensors = new List<int>();
                foreach (var tensor in main.Op.Tensors(main.Input, main.Output))
                {
                    tensors.Add(parameters.Count);
                    parameters.Add(new ParameterPlan($"{layer.Name}.{tensor.Name}", tensor.Local, layer.Member + tensor.Identifier, tensor.Dimensions, offset, tensor.Count,
                        tensor.InitMean, tensor.InitStd, tensor.LrMult, tensor.DecayMult, tensor.Trainable, tensor.InitBound, tensor.DType));
                    offset += tensor.Count;
                }
                // A learnable operation names the layer's activation; another adds its kind (conv1.maxpool).
                bool learnable = main.Op is LearnableOperation;
                string suffix = learnable ? "" : main.Op.AttributeName;
                string group = string.Join(" + ",
                    new[] { main.Op.Describe() }.Concat(main.Op is LearnableOperation { HasBias: true } ? new[] { "bias" } : [])
                        .Concat(join is null ? [] : new[] { join.Op.Describe() }).Concat(epilogue.Select(e => e.Op.Describe())));
                var output = epilogue.Count > 0 ? epilogue[epilogue.Count - 1].Output : main.Output;
                string name = learnable ? layer.Name : $"{layer.Name}.{main.Op.Kind}";
                var activation = Activation(names, name, layer.Member + suffix, output, group);
                // An epilogue that is not all gates keeps the value it started from, for the backward pass.
                var saved = epilogue.Any(e => !e.Elementwise.IsGate)
                    ? Activation(names, name + ".before", activation.Identifier + "Before", main.Output, $"{name} before its epilogue, kept for the backward pass")
                    : null;
                int statistics = main.Main.BatchStatistics(main);
                kernels.Add(new KernelPlan(
                    activation.Identifier, group, layer, main, epilogue.ToEquatableArray(),
                    input, activations.Count, tensors.ToEquatableArray(), saved,
                    main.Main.ThreadsPerImage(main),
                    join, join is null ? -1 : layerOutputs[join.Op.NamedInput!],
                    statistics > 0 ? new StatisticsPlan(activation.Field.TrimStart('@') + "Statistics", statistics) : null));
                input = activations.Count;
                activations.Add(activation);
            }
            layerOutputs[layer.Member] = activations.Count - 1;
        }
        var backward = BackwardPlanner.Plan(kernels, parameters);
        return new NetworkPlan(model, activations.ToEquatableArray(), parameters.ToEquatableArray(), kernels.ToEquatableArray(), backward,
            PartitionPlanner.Plan(model, activations, parameters, kernels, backward));
    }

    private static ActivationPlan Activation(UniqueNames names, string name, string identifier, Shape shape, string description)
    {
        identifier = names.Claim(identifier);
        string field = char.ToLowerInvariant(identifier[0]) + identifier.Substring(1);
        if (SyntaxFacts.GetKeywordKind(field) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(field) != SyntaxKind.None)
            field = "@" + field;
        return new ActivationPlan(name, identifier, field, shape, description);
    }

    /// <summary>
    /// Hands out identifiers that collide neither with each other nor with what the generated class
    /// already declares, nor (as fields, their first letter lower case) with the parameters and
    /// fields of its passes: so compared ignoring case, as a layer named <c>device</c> or
    /// <c>Device</c> would otherwise give a field <c>device</c> beside the column pass's parameter.
    /// <c>Cpu</c> is taken for its epilogue's struct, <c>CpuEpilogue</c>, which would hide the CPU backend's.
    /// </summary>
    private sealed class UniqueNames
    {
        private readonly HashSet<string> taken = new(System.StringComparer.OrdinalIgnoreCase)
        {
            "Network", "ForwardPass", "BackwardPass", "Trainer", "Kernels", "BackwardKernels", "CpuGeometry", "Description", "Info", "Shapes", "Layers", "Parameters", "Accelerator", "BatchSize", "Partition", "Partitioning", "ColumnPass", "ColumnGeometry", "TensorIndex", "Tensors",
            "Device", "Column", "Exchange", "Dropout", "Cpu",
        };

        public string Claim(string identifier)
        {
            string candidate = identifier;
            for (int n = 2; !taken.Add(candidate); n++)
                candidate = identifier + n;
            return candidate;
        }
    }
}
