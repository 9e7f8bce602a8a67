<qgis version="3.22.16" styleCategories="Symbology|Labeling|MapTips|Temporal">
  <!-- rsoi flows: one line per route x period (the row with drawn = true stands for the route's commodities: the others are not drawn); colour by mode, width in proportion to the route's short tons; temporal by period -->
  <renderer-v2 type="categorizedSymbol" attr="if(&quot;drawn&quot;, &quot;mode&quot;, 'merged')" symbollevels="0" forceraster="0" enableorderby="1" referencescale="-1">
<categories>
<category value="sea" label="sea · width = short tons moved in the period (4 mm = ${flows_max_t} t)" symbol="0" render="true"/>
<category value="air" label="air · width = short tons moved in the period (4 mm = ${flows_max_t} t)" symbol="1" render="true"/>
<category value="rail" label="rail · width = short tons moved in the period (4 mm = ${flows_max_t} t)" symbol="2" render="true"/>
<category value="road" label="road · width = short tons moved in the period (4 mm = ${flows_max_t} t)" symbol="3" render="true"/>
</categories>
<symbols>
<symbol type="line" name="0" alpha="0.6" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${mode_sea}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.5"/>
<Option type="QString" name="line_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='coalesce(0.3 + 3.7 * "route_short_tons" / nullif(maximum("route_short_tons"), 0), 0.3)'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="line" name="1" alpha="0.6" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${mode_air}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.5"/>
<Option type="QString" name="line_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='coalesce(0.3 + 3.7 * "route_short_tons" / nullif(maximum("route_short_tons"), 0), 0.3)'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="line" name="2" alpha="0.6" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${mode_rail}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.5"/>
<Option type="QString" name="line_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='coalesce(0.3 + 3.7 * "route_short_tons" / nullif(maximum("route_short_tons"), 0), 0.3)'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="line" name="3" alpha="0.6" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${mode_road}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.5"/>
<Option type="QString" name="line_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='coalesce(0.3 + 3.7 * "route_short_tons" / nullif(maximum("route_short_tons"), 0), 0.3)'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
</symbols>
<orderby>
<orderByClause asc="0" nullsFirst="0">"route_short_tons"</orderByClause>
</orderby>
</renderer-v2>
  
  <temporal enabled="1" mode="1" startField="period_start" endField="" accumulate="0" durationField="" durationUnit="s" endExpression="" fixedDuration="${shown_seconds}" startExpression="" limitMode="0">
<fixedRange>
<start>
</start>
<end>
</end>
</fixedRange>
</temporal>
  <blendMode>0</blendMode>
<featureBlendMode>0</featureBlendMode>
<layerOpacity>1</layerOpacity>
  <mapTip>&lt;b&gt;[% "origin_name" %] → [% "destination_name" %]&lt;/b&gt; ([% "mode" %]) period [% "period" %]&lt;br&gt;[% format_number("route_short_tons", 0) %] short tons&lt;br&gt;[% replace("breakdown", '; ', '&lt;br&gt;') %]</mapTip>
  <previewExpression>"origin_name" || ' → ' || "destination_name" || ' (' || "route" || '), period ' || "period"</previewExpression>
</qgis>
