using GaLore.Planner.Models;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>HF's <c>LlamaModel</c> (registered as <c>model</c>): <c>embed_tokens</c>, <c>layers</c>, final <c>norm</c>.</summary>
public sealed class LlamaDecoder : nn.Module
{
    [ComponentName(Name = "embed_tokens")] readonly Embedding embedTokens;
    [ComponentName(Name = "layers")] readonly ModuleList<DecoderBlock> layers;
    [ComponentName(Name = "norm")] readonly RmsNorm norm;

    internal LlamaDecoder(ModelConfig c, ModelOptions o, ScalarType dtype, Device device, Generator init) : base(nameof(LlamaDecoder))
    {
        embedTokens = new Embedding(c.VocabSize, c.HiddenSize, dtype, device, init, o.InitStd);
        layers = new ModuleList<DecoderBlock>();
        for (int l = 0; l < c.NumLayers; l++) layers.Add(new DecoderBlock(c, o, dtype, device, init));
        norm = new RmsNorm(c.HiddenSize, o.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    /// <summary>The token embedding.</summary>
    public Embedding EmbedTokens => embedTokens;

    /// <summary>The decoder blocks.</summary>
    public IList<DecoderBlock> Layers => layers;

    /// <summary>The final norm.</summary>
    public RmsNorm Norm => norm;
}
