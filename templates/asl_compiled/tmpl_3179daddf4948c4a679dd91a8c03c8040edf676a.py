from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_deploy_sagemaker-endpoint.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_s = resolve('s')
    l_0_names = resolve('names')
    l_0_resource_names = resolve('resource_names')
    l_0_p = resolve('p')
    l_0_create_model = resolve('create_model')
    l_0_service_retry = resolve('service_retry')
    l_0_failures = resolve('failures')
    l_0_endpoint_config = resolve('endpoint_config')
    l_0_watch_states = resolve('watch_states')
    l_0_describe_endpoint = resolve('describe_endpoint')
    l_0_endpoint_not_found = resolve('endpoint_not_found')
    l_0_autoscaling = resolve('autoscaling')
    l_0_create_endpoint = resolve('create_endpoint')
    l_0_polls = resolve('polls')
    l_0_update_endpoint = resolve('update_endpoint')
    l_0_outcome_states = resolve('outcome_states')
    l_0_not_restored = resolve('not_restored')
    pass
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'Make deployment token', 'Name deployment resources', '$.deployment', parameters=(undefined(name='names') if l_0_names is missing else l_0_names)))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'Name deployment resources', 'Create model', '$.deployment', parameters=(undefined(name='resource_names') if l_0_resource_names is missing else l_0_resource_names)))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Create model', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::sagemaker:createModel', )), (undefined(name='create_model') if l_0_create_model is missing else l_0_create_model), 'Create endpoint config', result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}]))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Create endpoint config', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::sagemaker:createEndpointConfig', )), (undefined(name='endpoint_config') if l_0_endpoint_config is missing else l_0_endpoint_config), (environment.getattr(environment.getitem((undefined(name='watch_states') if l_0_watch_states is missing else l_0_watch_states), 0), 'name') if (undefined(name='watch_states') if l_0_watch_states is missing else l_0_watch_states) else 'Find endpoint'), result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}]))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'watch_new_version'), (undefined(name='watch_states') if l_0_watch_states is missing else l_0_watch_states), environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Find endpoint', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:sagemaker:describeEndpoint', )), (undefined(name='describe_endpoint') if l_0_describe_endpoint is missing else l_0_describe_endpoint), 'Endpoint usable?', result_path='$.endpoint', retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), comment='Kept whole: EndpointConfigName is optional in the response (see poll_loop in _states.j2).', catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': 'Endpoint missing?'}]))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Endpoint missing?', [(undefined(name='endpoint_not_found') if l_0_endpoint_not_found is missing else l_0_endpoint_not_found)], environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')))
    if (undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling):
        pass
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Endpoint usable?', [{'Variable': '$.endpoint.EndpointStatus', 'StringEquals': 'Failed', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'endpoint_failed'), 'notify_state')}, {'Variable': '$.endpoint.EndpointConfigName', 'IsPresent': True, 'Next': 'Read endpoint config'}], environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')))
    else:
        pass
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Endpoint usable?', [{'Variable': '$.endpoint.EndpointStatus', 'StringEquals': 'Failed', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'endpoint_failed'), 'notify_state')}], 'Update endpoint'))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Create endpoint', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::sagemaker:createEndpoint', )), (undefined(name='create_endpoint') if l_0_create_endpoint is missing else l_0_create_endpoint), environment.getattr(environment.getattr((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'endpoint'), 'start_state'), result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}]))
    if (undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling):
        pass
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Read endpoint config', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:sagemaker:describeEndpointConfig', )), environment.getattr((undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling), 'describe_config'), 'Instance type changes?', result_path='$.serving', result_selector={'variant.$': 'States.ArrayGetItem($.ProductionVariants, 0)'}, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}]))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Instance type changes?', [{'And': [{'Variable': '$.serving.variant.InstanceType', 'IsPresent': True}, {'Variable': '$.serving.variant.InstanceType', 'StringEquals': environment.getattr((undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling), 'instance_type')}], 'Next': 'Update endpoint'}], 'Deregister scalable target'))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Deregister scalable target', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:applicationautoscaling:deregisterScalableTarget', )), environment.getattr((undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling), 'deregister'), 'Update endpoint', result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['ApplicationAutoScaling.ObjectNotFoundException'], 'ResultPath': None, 'Next': 'Update endpoint'}, {'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}], comment='SageMaker refuses to change the instance type of a scaled variant; it is registered again on every way out.'))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Update endpoint', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::sagemaker:updateEndpoint', )), (undefined(name='update_endpoint') if l_0_update_endpoint is missing else l_0_update_endpoint), environment.getattr(environment.getattr((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'endpoint'), 'start_state'), result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=[{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr((undefined(name='outcome_states') if l_0_outcome_states is missing else l_0_outcome_states), 'failed')}]))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'poll_loop'), environment.getattr((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'endpoint')))
    if (undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling):
        pass
        for (l_1_outcome, l_1_then) in environment.getattr((undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling), 'outcomes'):
            _loop_vars = {}
            pass
            yield '\n    '
            yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), environment.getitem((undefined(name='outcome_states') if l_0_outcome_states is missing else l_0_outcome_states), l_1_outcome), 'Register scalable target', '$.outcome', result={'next': l_1_then}, _loop_vars=_loop_vars))
        l_1_outcome = l_1_then = missing
        l_0_not_restored = [{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.scaling_error', 'Next': 'Scaling not restored'}]
        context.vars['not_restored'] = l_0_not_restored
        context.exported_vars.add('not_restored')
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Register scalable target', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:applicationautoscaling:registerScalableTarget', )), environment.getattr((undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling), 'register'), 'Put scaling policy', result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='not_restored') if l_0_not_restored is missing else l_0_not_restored), comment='Every way out of an update (deployed, rolled back, failed, timed out) leaves the endpoint scaled.'))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Put scaling policy', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:applicationautoscaling:putScalingPolicy', )), environment.getattr((undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling), 'policy'), 'Route outcome', result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='not_restored') if l_0_not_restored is missing else l_0_not_restored)))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Scaling not restored', [{'Variable': '$.outcome.next', 'StringEquals': 'Record deployed', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}], 'Route outcome'))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Route outcome', environment.getattr((undefined(name='autoscaling') if l_0_autoscaling is missing else l_0_autoscaling), 'routes'), environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')))
    yield '\n'

blocks = {}
debug_info = '3=28&4=30&5=32&8=34&11=36&12=38&16=40&17=41&18=44&22=48&25=50&28=51&29=54&34=56&37=58&43=60&46=62&47=63&48=65&49=69&51=71&52=75&55=77&59=79&61=81'