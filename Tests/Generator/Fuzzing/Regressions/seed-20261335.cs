// Fuzz seed 20261335: sound shapes, partial class, training defaults
// Found: generated code does not compile: CS0103 The name 'NaNf' does not exist in the current context at NetGen.Generator/NetGen.Generator.NetworkGenerator/Net.g.cs: (63,93)-(63,97)
// ==== file: Net.cs
using NetGen;
[Network(Channels = 2, Height = 1, Width = 18)]
[TrainingDefaults(Epochs = -3, LearningRate = float.NaN, Patience = 0)]
public partial class Net
{
    [Dense(4)] public partial Layer Fc1 { get; }
}
